"""The HTTP exchange shared by the webhook and chat channels: one pooled client, a capped
response read, and the mapping of transport errors and status codes onto Outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

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
    followed, so a signed request goes only where it was addressed."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._client = httpx.Client(
            timeout=timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT}
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
            # merged by hand: httpx's params= would replace a query the address already has
            target = httpx.URL(url).copy_merge_params(params) if params else url
            request = self._client.build_request(method, target, content=content, headers=headers)
            response = self._client.send(request, stream=True)
            try:
                body = self._read_capped(response, since)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            return Answer(Outcome.failure(Reason.TIMEOUT, _failed(exc, origin), elapsed_ms(since)))
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            return Answer(Outcome.invalid(_failed(exc, origin)))
        except (httpx.LocalProtocolError, ValueError) as exc:
            # a request we could not even put on the wire: repeating it cannot help
            error = _failed(exc, origin)
            return Answer(Outcome.failure(Reason.REJECTED, error, elapsed_ms(since), retryable=False))
        except httpx.HTTPError as exc:
            return Answer(Outcome.failure(Reason.NETWORK, _failed(exc, origin), elapsed_ms(since)))
        latency = elapsed_ms(since)
        return Answer(judge_status(response.status_code, origin, latency), body)

    def close(self) -> None:
        self._client.close()

    def _read_capped(self, response: httpx.Response, since: float) -> bytes:
        # the per-read timeout alone would let a peer trickle a body forever
        deadline = since + self._timeout * 2
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _BODY_LIMIT or time.perf_counter() > deadline:
                break
        return b"".join(chunks)[:_BODY_LIMIT]


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
