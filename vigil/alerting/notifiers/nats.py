"""The NATS channel: publish the event JSON with ``Nats-Msg-Id: <delivery id>`` (JetStream dedup)
and flush, so success means the server has it. The asyncio client lives on one private loop
thread with one cached connection per URL; ``send`` is synchronous and thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from urllib.parse import urlsplit

import nats
import nats.errors
from nats.aio.client import Client as NatsClient

from vigil.alerting.notifiers.base import (
    Channel,
    Message,
    Outcome,
    Reason,
    elapsed_ms,
    safe_origin,
    started,
)

NATS_SCHEMES = frozenset({"nats", "tls", "ws", "wss"})
MSG_ID_HEADER = "Nats-Msg-Id"
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")
_FINAL = (
    nats.errors.MaxPayloadError,
    nats.errors.AuthorizationError,
    nats.errors.BadSubjectError,
    nats.errors.BadHeaderError,
)


class NatsNotifier:
    channel = Channel.NATS

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # touched only on the loop thread, so they need no lock
        self._clients: dict[str, NatsClient] = {}
        self._connecting: dict[str, asyncio.Lock] = {}

    def check(self, address: Mapping[str, str]) -> str | None:
        url = address.get("url", "")
        parts = urlsplit(url)
        if parts.scheme not in NATS_SCHEMES or not parts.hostname:
            return f"the url must be {', '.join(sorted(NATS_SCHEMES))}://host[:port]"
        subject = address.get("subject", "")
        if not subject or not all(_SUBJECT_TOKEN.fullmatch(t) for t in subject.split(".")):
            return "the subject must be dot-separated tokens without spaces or wildcards"
        return None

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None:
            return Outcome.invalid(problem)
        try:
            event = message.body
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the event is not valid JSON", 0.0, retryable=False)
        url, origin = address["url"], safe_origin(address["url"])
        since = started()
        work = self._submit(url, address["subject"], event, message.delivery_id)
        try:
            work.result(timeout=self._timeout * 2 + 1)  # a connect and a flush, each bounded
        except Exception as exc:
            work.cancel()
            return _judge(exc, origin, elapsed_ms(since))
        return Outcome.success(elapsed_ms(since))

    def close(self) -> None:
        """Close every connection and stop the loop thread; a later send starts them afresh."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(self._timeout + 1)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(self._timeout + 1)
        if not thread.is_alive():
            loop.close()

    def _submit(self, url: str, subject: str, event: bytes, delivery_id: str) -> Future[None]:
        with self._guard:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="vigil-nats", daemon=True)
                self._thread.start()
            return asyncio.run_coroutine_threadsafe(
                self._publish(url, subject, event, delivery_id), self._loop
            )

    async def _publish(self, url: str, subject: str, event: bytes, delivery_id: str) -> None:
        client = await self._connected(url)
        try:
            await client.publish(subject, event, headers={MSG_ID_HEADER: delivery_id})
            await client.flush(timeout=self._whole_seconds())
        except _FINAL:
            raise  # about this message, not the connection
        except BaseException:
            await self._forget(url, client)  # the next send reconnects
            raise

    async def _connected(self, url: str) -> NatsClient:
        client = self._clients.get(url)
        if client is not None and client.is_connected:
            return client
        async with self._connecting.setdefault(url, asyncio.Lock()):  # one dial per URL at a time
            client = self._clients.get(url)
            if client is not None and client.is_connected:
                return client
            if client is not None:
                await self._forget(url, client)
            client = await nats.connect(
                url,
                name="vigil-alerts",
                connect_timeout=self._whole_seconds(),
                allow_reconnect=False,  # we reconnect on the next send instead of buffering blindly
                # nats-py retries the first dial itself until the attempts run out (0 means no
                # limit), sleeping reconnect_time_wait between: one quick second try, no sleep
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                error_cb=_ignore_error,
                disconnected_cb=_ignore,
                closed_cb=_ignore,
            )
            self._clients[url] = client
            return client

    async def _forget(self, url: str, client: NatsClient) -> None:
        if self._clients.get(url) is client:
            del self._clients[url]
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.close(), self._timeout)

    async def _close_all(self) -> None:
        for url, client in list(self._clients.items()):
            await self._forget(url, client)
        self._connecting.clear()  # its locks belong to this loop; a restart makes new ones

    def _whole_seconds(self) -> int:
        return max(1, math.ceil(self._timeout))  # nats-py takes whole seconds here


async def _ignore_error(exc: Exception) -> None:
    """Failures reach the caller as an Outcome; nats-py would otherwise log each one."""


async def _ignore() -> None:
    pass


def _judge(exc: BaseException, origin: str, latency_ms: float) -> Outcome:
    described = f"{type(exc).__name__} from {origin}"
    if isinstance(exc, nats.errors.MaxPayloadError):
        error = f"{origin} refused the event: larger than its max_payload"
        return Outcome.failure(Reason.REJECTED, error, latency_ms, retryable=False)
    if isinstance(exc, _FINAL):
        return Outcome.failure(Reason.REJECTED, described, latency_ms, retryable=False)
    if isinstance(exc, TimeoutError):  # also asyncio's and nats-py's timeouts
        return Outcome.failure(Reason.TIMEOUT, described, latency_ms)
    return Outcome.failure(Reason.NETWORK, described, latency_ms)
