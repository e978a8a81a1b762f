"""Keeping the HTTP workers' shares of keep-alive connections near even.

Each worker listens on its own socket in the port's SO_REUSEPORT group, and the kernel picks the
socket for a new connection by a hash of its addresses. Over many short connections that spreads
evenly; over a few long-lived ones it often does not: four keep-alive connections of one client
land all on one of two workers one time in eight, three on one half the time, and the busy worker
then does the work of two while the other idles (event intake on two cores: 15,400 events/s with
all four on one worker, 21,200 with two each).

So every worker publishes how many clients it served lately, and one holding clearly more than
an even share asks one of its clients at a time to reconnect: its next answer says
``Connection: close``, the client opens a new connection, and the kernel spreads that one again.
Only keep-alive clients are affected, never a request or an answer.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, MutableMapping, MutableSequence
from typing import Any

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Any]

WINDOW_S = 1.0
"""A client counts toward a worker's share while it sent a request within this long."""
COOLDOWN_S = 0.05
"""A worker asks at most one client per this long to reconnect."""
SLACK = 0.2
"""A share up to this much above even (rounded down, so none for small shares) is left alone."""


class SharedLoads:
    """Per worker, its recent clients and when it last counted them, in memory the workers share
    (a ``multiprocessing`` array of doubles, two per worker, made before the fork)."""

    def __init__(self, slots: MutableSequence[float], clock: Callable[[], float] = time.monotonic) -> None:
        if len(slots) % 2:
            raise ValueError("two slots per worker")
        self._slots = slots
        self._clock = clock
        self.workers = len(slots) // 2

    def publish(self, index: int, clients: int) -> None:
        self._slots[2 * index] = float(clients)
        self._slots[2 * index + 1] = self._clock()

    def shares(self) -> list[int]:
        """Each worker's recent clients; a worker that has not counted within the window has none."""
        now = self._clock()
        return [
            int(self._slots[2 * i]) if now - self._slots[2 * i + 1] <= WINDOW_S else 0
            for i in range(self.workers)
        ]


class ConnectionBalancer:
    """ASGI middleware for worker ``index``: counts the clients it serves, and asks one to
    reconnect when its share is clearly above even."""

    def __init__(
        self, app: ASGIApp, loads: SharedLoads, index: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._app = app
        self._loads = loads
        self._index = index
        self._clock = clock
        self._seen: dict[tuple[str, int], float] = {}
        self._pruned_at = 0.0
        self._shed_at = -math.inf
        self.shed = 0

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or not client:
            await self._app(scope, receive, send)
            return
        if self._count(tuple(client)):
            await self._app(scope, receive, _closing(send))
        else:
            await self._app(scope, receive, send)

    def _count(self, client: tuple[str, int]) -> bool:
        """Note the client; True if it should reconnect after this answer."""
        now = self._clock()
        self._seen[client] = now
        if now - self._pruned_at >= WINDOW_S / 4:
            self._pruned_at = now
            self._seen = {c: t for c, t in self._seen.items() if now - t <= WINDOW_S}
            self._loads.publish(self._index, len(self._seen))
        if now - self._shed_at < COOLDOWN_S or len(self._seen) < 2:
            return False
        shares = self._loads.shares()
        shares[self._index] = len(self._seen)
        even = sum(shares) / len(shares)
        if len(self._seen) <= math.ceil(even) + math.floor(even * SLACK):
            return False
        self._shed_at = now
        self.shed += 1
        del self._seen[client]  # it comes back on a new connection, maybe to another worker
        self._loads.publish(self._index, len(self._seen))
        return True


def _closing(send: Any) -> Any:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
            message = {**message, "headers": [*headers, (b"connection", b"close")]}
        await send(message)

    return wrapped
