"""``GET /vigil/events/stream``: the account's system events as server-sent events, as they commit.

The request is signed like any Alibaba-dialect call (ACS3 over ``GET /vigil/events/stream`` and its
query, action ``StreamSystemEvents`` of Vigil 2026-11-01). What goes out, in which order and after
which event is decided by vigil/events/stream.py; this module only speaks HTTP and never blocks
the event loop: storage is read in worker threads, and an idle stream awaits an asyncio event that
is set when an event commits on this node.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import orjson

from vigil import ids
from vigil.audit.calls import CallTrace
from vigil.clock import Clock, SystemClock
from vigil.dialects.alibaba.cms_events import event_filter
from vigil.dialects.alibaba.pop import Params, decode_pairs
from vigil.dialects.alibaba.signatures import HttpRequestParts, read_claim
from vigil.errors import Internal, InvalidArgument, VigilError
from vigil.events.model import SystemEvent
from vigil.events.query import EventFilter, parse_time
from vigil.events.service import EventCenter
from vigil.events.stream import OPEN_END_MS, EventTail, StreamOptions
from vigil.http import asgi, auditing
from vigil.http.asgi import Receive, Scope, Send
from vigil.http.calls import CallContext
from vigil.http.errors import status_of
from vigil.iam.authn import Authenticator

if TYPE_CHECKING:
    from vigil.app import Services

log = logging.getLogger("vigil.http")

PATH = "/vigil/events/stream"
ACTION = "StreamSystemEvents"
VERSION = "2026-11-01"
EVENT = "system-event"
_JSON_HEADERS = [(b"content-type", b"application/json;charset=utf-8")]
_STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # nginx and friends must pass each message on at once
]
_HEARTBEAT = b": heartbeat\n\n"


class UnknownAction(InvalidArgument):
    code = "InvalidAction.NotFound"


class EventStreamEndpoint:
    """An ASGI callable serving PATH; one instance serves every stream of a process."""

    def __init__(
        self,
        services: Services,
        authenticator: Authenticator,
        *,
        host_id: str,
        options: StreamOptions | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._services = services
        self._authenticator = authenticator
        self._host_id = host_id
        self._options = options or StreamOptions()
        self._grace_s = self._options.grace_for(services.db.dialect)
        self._clock = clock or SystemClock()  # real elapsed time for the grace period, never the test clock
        self._commits = CommitSignal(services.events)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        trace = auditing.start_trace(scope, request_id, self._services)
        trace.service, trace.action, trace.rw, trace.api_version = "Vigil", ACTION, "Read", VERSION
        if scope["method"] != "GET":
            message = f"{PATH} answers GET only"
            await self._answer(send, 405, request_id, "MethodNotAllowed", message, [(b"allow", b"GET")])
            return
        try:
            tail = await anyio.to_thread.run_sync(self._open, scope, trace)
        except VigilError as exc:
            trace.error = exc
        except Exception:
            log.exception("unhandled error opening event stream %s", request_id)
            trace.error = Internal("an internal error occurred; see the server log")
        # the stream's opening is the call that is audited (what it then sends is not)
        refused = await auditing.record(self._services, trace)
        error = refused or trace.error
        if error is not None:
            await self._answer(send, status_of(error), request_id, error.code, error.message)
            return
        headers = [*_STREAM_HEADERS, (b"x-acs-request-id", request_id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
        async with anyio.create_task_group() as group:
            group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
            await self._pump(send, tail, request_id)
            group.cancel_scope.cancel()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _open(self, scope: Scope, trace: CallTrace) -> EventTail:
        """Authenticate, authorise and find where to start. Raises the VigilError that refuses it."""
        request_id = trace.request_id
        headers = asgi.headers(scope)
        raw_query = scope.get("query_string", b"").decode("latin-1")
        raw_path = scope.get("raw_path", PATH.encode()).decode("latin-1").split("?")[0]
        parts = HttpRequestParts("GET", raw_path, raw_query, headers, b"")
        params = dict(decode_pairs(raw_query))
        trace.params = params
        claim = read_claim(parts, None)
        trace.claimed_access_key = claim.access_key_id or ""
        principal = self._authenticator.authenticate(claim)
        trace.principal = principal
        _check_action(headers, params)
        auditing.refuse_while_failing(self._services)
        client = scope.get("client") or ("", 0)
        ctx = CallContext(
            request_id,
            principal,
            self._services,
            "Vigil",
            ACTION,
            client[0],
            headers.get("user-agent", ""),
        )
        trace.resources = ctx.resources
        ctx.authorize(ctx.arn("event", "*", product="cms"))
        event_id, since_ms = _resume(headers, params)
        events = self._services.events
        position = events.resume_point(ctx.account_id, event_id=event_id, since_ms=since_ms)
        account_id = ctx.account_id
        return EventTail(
            lambda after, limit: events.tail(account_id, after, limit),
            stream_filter(ctx, params, since_ms),
            position,
            grace_s=self._grace_s,
            clock=self._clock,
            batch=self._options.batch,
        )

    async def _pump(self, send: Send, tail: EventTail, request_id: str) -> None:
        """Send what commits, and a heartbeat when idle, until the client goes (the task is cancelled)
        or the store fails (the stream ends, and the client resumes after the last id it got)."""
        options, events = self._options, self._services.events
        quiet_since = time.monotonic()
        while True:
            generation = events.generation  # read before the store, so no commit slips in between
            try:
                found = await anyio.to_thread.run_sync(tail.poll)
            except VigilError as exc:
                log.warning("event stream %s ended: %s", request_id, exc.message)
                return
            now = time.monotonic()
            if found:
                body = b"".join(sse_message(event) for event in found)
                await send({"type": "http.response.body", "body": body, "more_body": True})
                quiet_since = now
            elif now - quiet_since >= options.heartbeat_s:
                await send({"type": "http.response.body", "body": _HEARTBEAT, "more_body": True})
                quiet_since = now
            if tail.behind:
                continue
            timeout = min(options.poll_s, quiet_since + options.heartbeat_s - now)
            settles = tail.settles_in_s()
            if settles is not None:
                timeout = min(timeout, settles + 0.001)
            await self._commits.wait(generation, timeout)

    async def _answer(
        self,
        send: Send,
        status: int,
        request_id: str,
        code: str,
        message: str,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        body = {"RequestId": request_id, "HostId": self._host_id, "Code": code, "Message": message}
        headers = [*_JSON_HEADERS, (b"x-acs-request-id", request_id.encode()), *(extra or [])]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": orjson.dumps(body)})


def sse_message(event: SystemEvent) -> bytes:
    """One server-sent event: the event id, the type and the seed-format payload on one data line."""
    data = json.dumps(event.payload(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.event_id}\nevent: {EVENT}\ndata: {data}\n\n".encode()


def stream_filter(ctx: CallContext, params: Mapping[str, str], since_ms: int | None) -> EventFilter:
    """The filters of the CMS system-event queries (Product, EventType, Name, Level, Status, GroupId,
    SearchKeywords), read and checked by the same code, over an open-ended time range from ``since_ms``.

    Raises InvalidArgument naming the parameter that is wrong.
    """
    return replace(event_filter(ctx, Params(dict(params))), start_ms=since_ms or 0, end_ms=OPEN_END_MS)


def _resume(headers: Mapping[str, str], params: Mapping[str, str]) -> tuple[str | None, int | None]:
    """(event id, time in ms) to resume from; the Last-Event-ID header (a reconnecting
    EventSource) wins over the parameters. Raises InvalidArgument for both parameters at once."""
    last_event_id = headers.get("last-event-id", "").strip()
    if last_event_id:
        return last_event_id, None
    after = params.get("AfterEventId", "").strip() or None
    since = parse_time(params.get("Since"), "Since")
    if after is not None and since is not None:
        raise InvalidArgument("give AfterEventId or Since, not both")
    return after, since


def _check_action(headers: Mapping[str, str], params: Mapping[str, str]) -> None:
    """The signed action must be this one, so no signature made for another call opens a stream."""
    action = headers.get("x-acs-action") or params.get("Action") or ""
    version = headers.get("x-acs-version") or params.get("Version") or ""
    if (action, version) != (ACTION, VERSION):
        raise UnknownAction(f"{PATH} serves action {ACTION} of version {VERSION}, not {action!r} {version!r}")


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


class CommitSignal:
    """Wakes waiting streams when an event commits on this node.

    The event center signals commits on a threading.Condition; one daemon thread per endpoint
    waits on it (only while some stream is waiting) and hands each wake-up to the waiting
    streams' event loops, so no stream holds a worker thread while it is idle.
    """

    def __init__(self, events: EventCenter, *, idle_s: float = 1.0) -> None:
        self._events = events
        self._idle_s = idle_s
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._running = False

    async def wait(self, generation: int, timeout_s: float) -> None:
        """Return once the commit counter has moved past ``generation``, or after ``timeout_s``."""
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
            if not self._running:
                self._running = True
                threading.Thread(
                    target=self._relay, args=(generation,), name="vigil-stream-wake", daemon=True
                ).start()
        try:
            if self._events.generation == generation:  # checked after registering: no commit is missed
                with anyio.move_on_after(timeout_s):
                    await waiter[1].wait()
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def _relay(self, generation: int) -> None:
        while True:
            seen, generation = generation, self._events.wait_for_new(generation, self._idle_s)
            with self._lock:
                if not self._waiters:
                    self._running = False
                    return
                waiters = list(self._waiters) if generation != seen else []
            for loop, event in waiters:
                with contextlib.suppress(RuntimeError):  # that server's loop has closed meanwhile
                    loop.call_soon_threadsafe(event.set)
