"""The HTTP exchange shared by the webhook and chat channels: one pooled client, a capped
response read, and the mapping of transport errors and status codes onto Outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3

from vigil.alerting.notifiers.base import Outcome, Reason, elapsed_ms, started

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
    """A thread-safe pooled client that sends ``User-Agent: Vigil-Alerts/1``; redirects are not
    followed, so a signed request goes only where it was addressed.

    Built on urllib3 rather than httpx: a delivery storm sends thousands of small requests from the
    process that also serves intake, and urllib3 spends a fraction of httpx's CPU per request.
    """

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._pool = urllib3.PoolManager(
            num_pools=64,
            maxsize=16,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s),
            headers={"User-Agent": USER_AGENT},
        )

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
            target = _with_params(url, params) if params else url
            response = self._pool.request(
                method,
                target,
                body=content,
                headers={"User-Agent": USER_AGENT, **headers},
                redirect=False,
                preload_content=False,
            )
            try:
                body = self._read_capped(response, since)
            finally:
                response.release_conn()
        except urllib3.exceptions.NewConnectionError as exc:  # urllib3 files it under timeouts
            return Answer(Outcome.failure(Reason.NETWORK, _failed(exc, origin), elapsed_ms(since)))
        except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            return Answer(Outcome.failure(Reason.TIMEOUT, _failed(exc, origin), elapsed_ms(since)))
        except (urllib3.exceptions.LocationValueError, urllib3.exceptions.URLSchemeUnknown) as exc:
            return Answer(Outcome.invalid(_failed(exc, origin)))
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Answer(Outcome.failure(Reason.NETWORK, _failed(exc, origin), elapsed_ms(since)))
        except (ValueError, UnicodeError) as exc:
            # a request we could not even put on the wire: repeating it cannot help
            error = _failed(exc, origin)
            return Answer(Outcome.failure(Reason.REJECTED, error, elapsed_ms(since), retryable=False))
        latency = elapsed_ms(since)
        return Answer(judge_status(response.status, origin, latency), body)

    def close(self) -> None:
        self._pool.clear()

    def _read_capped(self, response: urllib3.BaseHTTPResponse, since: float) -> bytes:
        # the per-read timeout alone would let a peer trickle a body forever
        deadline = since + self._timeout * 2
        chunks: list[bytes] = []
        size = 0
        for chunk in response.stream(16 * 1024):
            chunks.append(chunk)
            size += len(chunk)
            if size >= _BODY_LIMIT or time.perf_counter() > deadline:
                break
        return b"".join(chunks)[:_BODY_LIMIT]


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
