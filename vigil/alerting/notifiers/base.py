"""What every notification channel shares: the Message it sends, the Outcome it reports, the
Notifier protocol the delivery engine calls, and the helpers that keep secrets out of errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

from vigil.alerting import messages

DELIVERY_HEADER = "X-Vigil-Delivery"
_ERROR_LIMIT = 300


class Reason(StrEnum):
    """Why a delivery failed; the failure metrics are labelled by it."""

    NONE = "none"
    NETWORK = "network"
    TIMEOUT = "timeout"
    HTTP_STATUS = "http_status"
    REJECTED = "rejected"
    MISCONFIGURED = "misconfigured"
    UNSUPPORTED = "unsupported"


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    CHAT = "chat"
    APPRISE = "apprise"
    LOG = "log"
    REDIS = "redis"
    NATS = "nats"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one send. ``error`` is safe to store and show: it never holds the payload,
    a password or token, or a URL's query string."""

    ok: bool
    retryable: bool
    reason: Reason
    error: str
    latency_ms: float

    @classmethod
    def success(cls, latency_ms: float) -> Outcome:
        return cls(True, False, Reason.NONE, "", latency_ms)

    @classmethod
    def failure(cls, reason: Reason, error: str, latency_ms: float, retryable: bool = True) -> Outcome:
        return cls(False, retryable, reason, clip(error), latency_ms)

    @classmethod
    def invalid(cls, error: str) -> Outcome:
        """The address can never work; the engine records the delivery as INVALID."""
        return cls(False, False, Reason.MISCONFIGURED, clip(error), 0.0)


class Message:
    """What a notification says, in the forms the channels need. A stored delivery starts from its
    content as compact JSON (``stored``): webhooks and queues send those bytes as they are, and
    the payload and the text for people are only worked out by the channels that use them."""

    __slots__ = ("_body", "_payload", "_text", "delivery_id", "subject")

    def __init__(
        self, delivery_id: str, subject: str, payload: dict[str, Any] | None = None, text: str | None = None
    ) -> None:
        self.delivery_id = delivery_id
        """Idempotency key, sent as ``X-Vigil-Delivery`` where the channel has headers."""
        self.subject = subject
        self._payload = payload
        self._text = text
        self._body: bytes | None = None

    @classmethod
    def stored(cls, delivery_id: str, subject: str, content: str) -> Message:
        message = cls(delivery_id, subject)
        message._body = content.encode()
        return message

    @property
    def payload(self) -> dict[str, Any]:
        """The event (or merged notification) JSON: the body of webhook, log and queue channels."""
        if self._payload is None:
            self._payload = json.loads(self._body or b"{}")
        return self._payload

    @property
    def text(self) -> str:
        """Human-readable body for email and chat."""
        if self._text is None:
            self._text = messages.text(self.payload)
        return self._text

    @property
    def body(self) -> bytes:
        """The payload as compact JSON (raises TypeError or ValueError for what JSON cannot hold)."""
        if self._body is None:
            self._body = compact_json(self.payload)
        return self._body


class Notifier(Protocol):
    channel: Channel

    def check(self, address: Mapping[str, str]) -> str | None:
        """Why this address can never work (the delivery becomes INVALID), or None."""
        ...

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        """Deliver once; never raises."""
        ...


def compact_json(payload: Mapping[str, Any]) -> bytes:
    """The one JSON encoding used for bodies and signatures. Raises TypeError or ValueError."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def started() -> float:
    return time.perf_counter()


def elapsed_ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


def clip(text: str) -> str:
    """One line of bounded length, so a peer's verbose answer cannot flood the delivery record."""
    line = " ".join(text.split())
    return line if len(line) <= _ERROR_LIMIT else line[: _ERROR_LIMIT - 1] + "…"


@lru_cache(maxsize=4096)  # pure, and asked for every notification of a webhook target
def safe_origin(url: str, *, path: bool = True) -> str:
    """``scheme://host:port/path`` of a URL: no userinfo, query or fragment.

    Pass ``path=False`` where the path itself is a credential (Slack and Feishu hook tokens).
    """
    parts = _split(url)
    if parts is None or not parts.scheme:
        return "the configured address"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{port}{parts.path if path else ''}"


@lru_cache(maxsize=4096)  # pure, and asked for every notification of a webhook or chat target
def url_problem(url: str | None, schemes: frozenset[str]) -> str | None:
    """Why ``url`` is not a usable absolute URL with one of ``schemes``, or None."""
    if not url:
        return "the address has no url"
    parts = _split(url)
    if parts is None or any(c.isspace() for c in url):
        return "the url is malformed"
    if parts.scheme.lower() not in schemes:
        return f"the url scheme must be one of {', '.join(sorted(schemes))}"
    if not parts.hostname:
        return "the url has no host"
    try:
        _ = parts.port
    except ValueError:
        return "the url has an invalid port"
    return None


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None
