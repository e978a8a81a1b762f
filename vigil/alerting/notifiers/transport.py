"""The HTTP exchange shared by the webhook and chat channels: one pooled client, a capped
response read, and the mapping of transport errors and status codes onto Outcomes.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import httptools

from vigil.alerting.notifiers.base import Outcome, Reason, elapsed_ms, started
from vigil.alerting.notifiers.http11 import Client, target_of

USER_AGENT = "Vigil-Alerts/1"
# 408, 425 and 429 say "not now" rather than "never"; every 5xx may heal on its own
RETRYABLE_STATUSES = frozenset({408, 425, 429})
_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back: the Outcome judged by transport and status alone, and the (capped) body."""

    outcome: Outcome
    body: bytes = field(default=b"", repr=False)


class HttpTransport:
    """A thread-safe keep-alive client (``http11.Client``) that sends ``User-Agent: Vigil-Alerts/1``;
    redirects are not followed, so a signed request goes only where it was addressed."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._client = Client(timeout_s, USER_AGENT)

    def exchange(
        self,
        method: str,
        url: str,
        origin: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request; never raises. ``origin`` names the peer in errors and must be safe."""
        since = started()
        try:
            target = target_of(_with_params(url, params) if params else url)
        except ValueError as exc:
            return Answer(Outcome.invalid(_failed(exc, origin)))
        # the per-read timeout alone would let a peer trickle a body forever
        deadline = time.monotonic() + self._timeout * 2
        try:
            response = self._client.request(
                method, target, headers, content, deadline=deadline, body_limit=_BODY_LIMIT
            )
        except TimeoutError as exc:
            return Answer(Outcome.failure(Reason.TIMEOUT, _failed(exc, origin), elapsed_ms(since)))
        except (OSError, ssl.SSLError, httptools.HttpParserError) as exc:
            return Answer(Outcome.failure(Reason.NETWORK, _failed(exc, origin), elapsed_ms(since)))
        except (ValueError, UnicodeError) as exc:
            # a request we could not even put on the wire: repeating it cannot help
            error = _failed(exc, origin)
            return Answer(Outcome.failure(Reason.REJECTED, error, elapsed_ms(since), retryable=False))
        return Answer(judge_status(response.status, origin, elapsed_ms(since)), response.body)

    def close(self) -> None:
        self._client.close()


def _with_params(url: str, params: Mapping[str, str]) -> str:
    """Add query parameters to those the address already has (a webhook URL may carry a token)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def judge_status(status: int, origin: str, latency_ms: float) -> Outcome:
    """2xx succeeds; 408/425/429/5xx may be retried; anything else is the peer refusing."""
    if 200 <= status < 300:
        return Outcome.success(latency_ms)
    error = f"{origin} answered HTTP {status}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return Outcome.failure(Reason.HTTP_STATUS, error, latency_ms)
    return Outcome.failure(Reason.REJECTED, error, latency_ms, retryable=False)


def _failed(exc: Exception, origin: str) -> str:
    # the exception text may repeat the full URL (query string included), so only its type is kept
    return f"{type(exc).__name__} calling {origin}"
