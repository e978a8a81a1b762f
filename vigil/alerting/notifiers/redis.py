"""The Redis channel: XADD each delivery to a stream as ``delivery_id`` and ``event`` (JSON).

Consumers dedupe on ``delivery_id``: a retried send after a lost reply adds the entry again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from vigil.alerting.notifiers.base import (
    Channel,
    Message,
    Outcome,
    Reason,
    elapsed_ms,
    safe_origin,
    started,
)

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
# replies that describe the server's state, not the request: a later attempt may succeed
_TRANSIENT = (
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.TryAgainError,
    redis.exceptions.ClusterDownError,
)


class RedisNotifier:
    channel = Channel.REDIS

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._guard = threading.Lock()
        self._clients: dict[str, redis.Redis] = {}

    def check(self, address: Mapping[str, str]) -> str | None:
        url = address.get("url", "")
        if not url:
            return "the address has no url"
        parts = urlsplit(url)
        if parts.scheme not in REDIS_SCHEMES:
            return f"the url scheme must be one of {', '.join(sorted(REDIS_SCHEMES))}"
        try:
            redis.ConnectionPool.from_url(url)  # parses only; nothing connects
        except ValueError:
            return "the redis url is malformed"
        if not address.get("stream", "").strip():
            return "the address has no stream"
        return None

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None:
            return Outcome.invalid(problem)
        try:
            event = message.body
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the event is not valid JSON", 0.0, retryable=False)
        url = address["url"]
        origin = safe_origin(url)
        since = started()
        try:
            client = self._client(url)
            client.xadd(address["stream"], {"delivery_id": message.delivery_id, "event": event})
        except redis.exceptions.RedisError as exc:
            return _judge(exc, origin, elapsed_ms(since))
        return Outcome.success(elapsed_ms(since))

    def close(self) -> None:
        with self._guard:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _client(self, url: str) -> redis.Redis:
        with self._guard:
            client = self._clients.get(url)
            if client is None:
                # one immediate retry replaces a pooled connection the server has dropped meanwhile
                client = redis.Redis.from_url(
                    url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                    health_check_interval=30,
                    retry=Retry(NoBackoff(), 1),
                    client_name="vigil-alerts",
                )
                self._clients[url] = client
            return client


def _judge(exc: redis.exceptions.RedisError, origin: str, latency_ms: float) -> Outcome:
    # redis-py messages repeat host and port at most, but only the type and origin are kept
    described = f"{type(exc).__name__} from {origin}"
    if isinstance(exc, redis.exceptions.TimeoutError):
        return Outcome.failure(Reason.TIMEOUT, described, latency_ms)
    if isinstance(exc, redis.exceptions.AuthenticationError | redis.exceptions.NoPermissionError):
        return Outcome.failure(Reason.REJECTED, described, latency_ms, retryable=False)
    if isinstance(exc, redis.exceptions.ConnectionError):
        return Outcome.failure(Reason.NETWORK, described, latency_ms)
    if isinstance(exc, redis.exceptions.ResponseError):
        # the server's reply (WRONGTYPE …) names no credential and tells the operator what to fix
        error = f"{origin} refused XADD: {exc}"
        return Outcome.failure(Reason.REJECTED, error, latency_ms, retryable=isinstance(exc, _TRANSIENT))
    return Outcome.failure(Reason.NETWORK, described, latency_ms)
