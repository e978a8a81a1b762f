"""The webhook receiver both systems notify: a threaded HTTP/1.1 server on 127.0.0.1 in the bench
process that answers 200 at once and notes when each request's body had been read.

Times are ``time.perf_counter()``, the clock the bench reads when it triggers an event, so a
latency is one subtraction. Connections are kept alive, as both senders pool them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    """perf_counter() once the body was read."""
    path: str
    body: Any
    """The parsed JSON, or None if the body was not JSON."""
    size: int


class WebhookReceiver:
    def __init__(self) -> None:
        self._arrivals: list[Arrival] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="bench-receiver", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{path.lstrip('/')}"

    def arrivals(self, path: str | None = None) -> list[Arrival]:
        with self._changed:
            return [a for a in self._arrivals if path is None or a.path == path]

    def wait_until(self, done: Callable[[list[Arrival]], bool], timeout_s: float) -> bool:
        """Block until ``done(arrivals)`` holds; False if it still does not after ``timeout_s``."""
        with self._changed:
            return self._changed.wait_for(lambda: done(self._arrivals), timeout_s)

    def quiet_for(self, seconds: float, timeout_s: float) -> None:
        """Return once nothing arrived for ``seconds`` (or after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._changed:
                before = len(self._arrivals)
                self._changed.wait(seconds)
                if len(self._arrivals) == before:
                    return

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _record(self, path: str, raw: bytes, at: float) -> None:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._changed:
            self._arrivals.append(Arrival(at, path, body, len(raw)))
            self._changed.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                at = time.perf_counter()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver._record(self.path, raw, at)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # one line per notification would cost more than the answer

        return Handler


@dataclass(frozen=True, slots=True)
class Tally:
    """What arrived while waiting: notifications, distinct items in them, and when the last item owed came."""

    notifications: int
    items: int
    duplicates: int
    complete_at: float | None
    """perf_counter() of the arrival that completed the expected items; None if they never all came."""


def tally(
    receiver: WebhookReceiver, items_of: Callable[[Any], list[str]], expected: int, timeout_s: float
) -> Tally:
    """Wait until ``expected`` distinct items (``items_of(body)`` names those a notification carries)
    have arrived, or ``timeout_s`` passed; an item seen twice is a duplicate delivery."""
    if expected <= 0:
        return Tally(len(receiver.arrivals()), 0, 0, None)
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    notifications = duplicates = done = 0
    complete_at = None
    while complete_at is None and time.monotonic() < deadline:
        arrivals = receiver.arrivals()
        for arrival in arrivals[done:]:
            notifications += 1
            for item in items_of(arrival.body):
                if item in seen:
                    duplicates += 1
                    continue
                seen.add(item)
                if len(seen) == expected:
                    complete_at = arrival.at
        done = len(arrivals)
        if complete_at is None:
            time.sleep(0.02)
    return Tally(notifications, len(seen), duplicates, complete_at)
