"""A small time-bounded cache for hot-path lookups that other nodes may change.

Writes on this node invalidate entries at once; the TTL bounds how long a change made
by another node sharing PostgreSQL can go unseen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl_s: float, *, max_entries: int = 100_000) -> None:
        self._ttl_ns = int(ttl_s * 1e9)
        self._max = max_entries
        self._entries: dict[K, tuple[int, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[K], V]) -> V:
        """The cached value, or ``load(key)`` when missing or older than the TTL."""
        hit = self._entries.get(key)
        now = time.monotonic_ns()
        if hit is not None and now - hit[0] < self._ttl_ns:
            return hit[1]
        value = load(key)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def invalidate(self, key: K | None = None) -> None:
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
