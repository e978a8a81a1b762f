"""The webhook receiver both systems notify: a threaded HTTP/1.1 server on 127.0.0.1, in a process
of its own, that answers 200 at once and notes when each request's body had been read.

It runs apart from the bench process so that taking in thousands of notifications never competes
with the load generator's threads for one interpreter: in the bench process, the receiver's work
slowed the clients of whichever system notified during its intake run. The bench asks the receiver
for what arrived (``GET /__arrivals?since=N``) only when it waits for notifications, never while
it sends.

Times are ``time.perf_counter()`` in the receiver process, the clock the bench reads when it
triggers an event (on Linux both are CLOCK_MONOTONIC, one clock for every process), so a latency
is one subtraction. Connections are kept alive, as both senders pool them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

_CONTROL = "/__arrivals"
_POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float
    """perf_counter() once the body was read."""
    path: str
    body: Any
    """The parsed JSON, or None if the body was not JSON."""
    size: int


class WebhookReceiver:
    """The bench's handle on a receiver process, started here and stopped by ``close``."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self._process.kill()
            raise RuntimeError(f"the webhook receiver did not start (it said {line!r})")
        self._port = int(line)
        self._arrivals: list[Arrival] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._port}/{path.lstrip('/')}"

    def arrivals(self, path: str | None = None) -> list[Arrival]:
        self._fetch()
        return [a for a in self._arrivals if path is None or a.path == path]

    def _fetch(self) -> None:
        """Add what arrived since the last fetch."""
        with urllib.request.urlopen(
            f"{self.url(_CONTROL)}?since={len(self._arrivals)}", timeout=30
        ) as answer:
            for at, path, size, text in json.loads(answer.read()):
                self._arrivals.append(Arrival(at, path, _parsed(text), size))

    def quiet_for(self, seconds: float, timeout_s: float) -> None:
        """Return once nothing arrived for ``seconds`` (or after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        count, since = len(self.arrivals()), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(min(_POLL_S * 5, seconds))
            now = len(self.arrivals())
            if now != count:
                count, since = now, time.monotonic()
            elif time.monotonic() - since >= seconds:
                return

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _parsed(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _serve() -> None:
    """The receiver process: record every request but the bench's own questions; print the port."""
    arrivals: list[tuple[float, str, int, str]] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            at = time.perf_counter()
            if self.path.startswith(_CONTROL):
                self._answer_arrivals()
                return
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                arrivals.append((at, self.path, len(raw), raw.decode("utf-8", "replace")))

        do_GET = do_POST

        def _answer_arrivals(self) -> None:
            since = int(self.path.partition("since=")[2] or 0)
            with lock:
                body = json.dumps(arrivals[since:]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per notification would cost more than the answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _exit_with(parent: int) -> None:
    """End this process once the bench that started it is gone (say, killed with -9)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


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


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    _serve()
