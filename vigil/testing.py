"""Real stand-ins shipped with the product for tests: a manual clock, a seeded Random and an
in-thread server.

Nothing here mocks Vigil: each class is a second real implementation of a seam
(``Clock``, ``Random``) or a way to run the real application on a loopback port.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
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
