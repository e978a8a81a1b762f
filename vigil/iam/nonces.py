"""Signature nonces seen within the clock-skew window, shared by every worker process of a server.

A fixed-size open-addressing table in anonymous shared memory (created before the workers
fork), guarded by one process-shared lock. A nonce is remembered until its request's own
timestamp falls outside the skew window, after which the timestamp check refuses a replay
anyway. If every probed slot holds a live nonce, the one expiring first is evicted and
counted in ``evictions``: size the table (``nonce_slots``) for the peak request rate times
the window.
"""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import struct
import threading
import time
from typing import Any

_SLOT = struct.Struct("<Qq")  # 64-bit nonce hash (0 = empty), expiry in ms
_PROBES = 8


class NonceTable:
    def __init__(self, slots: int = 1 << 22, *, shared: bool = True) -> None:
        if slots & (slots - 1):
            raise ValueError("nonce table slots must be a power of two")
        self._slots = slots
        self._mask = slots - 1
        self._memory = mmap.mmap(-1, slots * _SLOT.size + 8)
        # one process needs only a thread lock; a process-shared lock costs a semaphore call each time
        self._lock: Any = multiprocessing.get_context("fork").Lock() if shared else threading.Lock()

    @property
    def evictions(self) -> int:
        return int(struct.unpack_from("<q", self._memory, self._slots * _SLOT.size)[0])

    def check_and_add(self, nonce: str, expires_at_ms: int) -> bool:
        """True if the nonce is new (and now remembered); False if it is a replay."""
        digest = int.from_bytes(hashlib.blake2b(nonce.encode(), digest_size=8).digest(), "little") or 1
        now = time.time_ns() // 1_000_000
        start = digest & self._mask
        with self._lock:
            free, oldest, oldest_expiry = -1, -1, 0
            for i in range(_PROBES):
                index = (start + i) & self._mask
                held, expiry = _SLOT.unpack_from(self._memory, index * _SLOT.size)
                if held == 0 or expiry < now:
                    if free < 0:
                        free = index
                elif held == digest:
                    return False
                elif oldest < 0 or expiry < oldest_expiry:
                    oldest, oldest_expiry = index, expiry
            if free < 0:
                free = oldest
                self._count_eviction()
            _SLOT.pack_into(self._memory, free * _SLOT.size, digest, expires_at_ms)
            return True

    def _count_eviction(self) -> None:
        offset = self._slots * _SLOT.size
        struct.pack_into("<q", self._memory, offset, struct.unpack_from("<q", self._memory, offset)[0] + 1)
