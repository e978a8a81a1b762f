"""Time for every time-based behaviour: the Clock protocol and its implementations.

Business time (windows, rotations, event and audit timestamps) comes from a Clock so
that tests and ``vigil serve --test-clock`` can move it forward.
"""

from __future__ import annotations

import mmap
import multiprocessing
import struct
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class OffsetClock:
    """The wall clock plus an offset that only ever grows (the server's test clock).

    The offset lives in anonymous shared memory, so every worker process forked from the
    server sees an ``AdvanceClock`` made by any of them.
    """

    def __init__(self, offset_ms: int = 0) -> None:
        self._memory = mmap.mmap(-1, 8)
        _OFFSET.pack_into(self._memory, 0, offset_ms)
        self._lock = multiprocessing.get_context("fork").Lock()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    @property
    def offset_ms(self) -> int:
        return int(_OFFSET.unpack_from(self._memory, 0)[0])

    def advance(self, seconds: float) -> int:
        """Move the clock forward; returns the new offset in ms. Raises ValueError if negative."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            offset = self.offset_ms + round(seconds * 1000)
            _OFFSET.pack_into(self._memory, 0, offset)
            return offset


_OFFSET = struct.Struct("<q")


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def iso(ms: int | None) -> str:
    """ISO 8601 UTC with second precision, the format of KMS dates; "" for None."""
    if ms is None:
        return ""
    return to_datetime(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


DAY_MS = 86_400_000
