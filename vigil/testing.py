"""Real stand-ins shipped with the product for tests: a manual clock, a seeded Random, an
in-thread server and a local HTTP receiver for webhooks.

Nothing here mocks Vigil: each class is a second real implementation of a seam
(``Clock``, ``Random``) or a way to run the real application on a loopback port.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import uvicorn


class ManualClock:
    """A Clock that moves only when told to."""

    def __init__(self, now_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now = now_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += round(seconds * 1000)


class SeededRandom:
    """A deterministic Random: SHAKE-256 over a seed and a call counter."""

    def __init__(self, seed: bytes = b"seed") -> None:
        self._seed = seed
        self._calls = 0

    def bytes(self, n: int) -> bytes:
        self._calls += 1
        return hashlib.shake_256(self._seed + self._calls.to_bytes(8, "big")).digest(n)


@dataclass(slots=True)
class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @classmethod
    def start(cls, asgi: Any, *, port: int = 0) -> ServerThread:
        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="vigil-test-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        return cls(server, thread, bound)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer of a LocalReceiver: a status, a body (JSON-encoded unless bytes), and optionally
    an event to wait for before answering, so a test can observe work while a call is in flight."""

    status: int = 200
    body: Any = None
    hold: threading.Event | None = None


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class LocalReceiver:
    """A real HTTP receiver on 127.0.0.1: records every request and answers from a script.

    Scripted replies are used once each, in order; after that every request gets ``default``.
    ``LocalReceiver(Reply(500), Reply(500))`` fails twice, then succeeds.
    """

    def __init__(self, *script: Reply, default: Reply | None = None, hold_timeout_s: float = 10.0) -> None:
        self._script: deque[Reply] = deque(script)
        self._default = default or Reply()
        self._hold_timeout = hold_timeout_s
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="vigil-local-receiver", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def push(self, *replies: Reply) -> None:
        """Append replies to the script."""
        with self._changed:
            self._script.extend(replies)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests arrived. Raises TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout_s):
                raise TimeoutError(f"expected {count} requests, got {len(self._requests)}")
            return list(self._requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            return self._script.popleft() if self._script else self._default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._record(ReceivedRequest(self.command, self.path, headers, body))
                if reply.hold is not None:
                    reply.hold.wait(receiver._hold_timeout)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                payload = b"" if reply.body is None else payload
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
