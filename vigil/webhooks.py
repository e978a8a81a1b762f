"""Signed outbound webhooks: one signing scheme for rotation steps, secret consumers and (later) alerts.

Each request carries ``X-Vigil-Timestamp`` (Unix seconds) and
``X-Vigil-Signature: v1=<hex HMAC-SHA256(key, timestamp + "." + body)>``; receivers verify
with the deployment's webhook signing key (``vigil webhooks signing-key``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SIGNATURE_HEADER = "X-Vigil-Signature"


def signature(key: bytes, timestamp: str, body: bytes) -> str:
    return "v1=" + hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(key: bytes, timestamp: str, body: bytes, given: str, *, tolerance_s: int = 300) -> bool:
    """What a receiver does: constant-time check of the signature and freshness of the timestamp."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature(key, timestamp, body), given)


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    status: int | None
    body: Any
    error: str
    """Why it failed, safe to record (no payload, no secret)."""


class WebhookSender:
    def __init__(self, key: bytes, *, timeout_s: float = 10.0) -> None:
        self._key = key
        self._timeout = timeout_s

    def __repr__(self) -> str:
        return "WebhookSender(key='**********')"

    def post(self, url: str, payload: dict[str, Any]) -> Delivery:
        """POST signed JSON; never raises for network or HTTP failures."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(self._key, stamp, body),
            "User-Agent": "Vigil-Webhook/1",
        }
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=self._timeout)
        except httpx.HTTPError as exc:
            return Delivery(False, None, None, f"{type(exc).__name__} calling {_origin(url)}")
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = None
        if response.status_code >= 300:
            return Delivery(
                False, response.status_code, parsed, f"{_origin(url)} answered HTTP {response.status_code}"
            )
        return Delivery(True, response.status_code, parsed, "")


def _origin(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "the webhook"
    return f"{parsed.scheme}://{parsed.host}{':' + str(parsed.port) if parsed.port else ''}{parsed.path}"
