"""When the audit indexer works: at once while the machine has most of a core to spare, later while
calls are keeping it busy, and never more than a bounded lag behind.

A call's record is durable in the journal before the call is answered; indexing only copies it into
``audit_records`` so queries can find it, and a query indexes whatever is missing before it reads.
So indexing can wait while calls keep the machine busy (it would take its CPU from them) and
catch up in the next idle moment. It waits at most ``max_lag_s`` seconds and ``max_lag_bytes`` of
journal, so a burst is absorbed and a sustained overload is indexed anyway.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SPARE_CORES = 0.75
"""Indexing waits while less than this much of a core's time is spare. Spare is what was idle plus
what the indexer itself used (it would be idle without it); on a small machine whose CPUs are
hyperthreads of one core, work on the idle sibling slows the calls on the other, so the indexer
wants most of a core to itself before it takes any."""


class IdleMeter(Protocol):
    def idle_share(self) -> float | None:
        """The share (0 to 1) of the machine's CPU time that was spare since the previous call, or
        None when it is not known (the first call, or no such counters on this system)."""


class ProcStatIdle:
    """Spare CPU from the kernel's counters in ``/proc/stat`` (Linux): idle and iowait jiffies
    against all of them, over every CPU, plus the CPU time the calling thread used meanwhile
    (``own_cpu``; call it from the indexing thread)."""

    def __init__(
        self, path: Path = Path("/proc/stat"), own_cpu: Callable[[], float] = time.thread_time
    ) -> None:
        self._path = path
        self._own_cpu = own_cpu
        self._ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self._last: tuple[int, int, float] | None = None

    def idle_share(self) -> float | None:
        try:
            with self._path.open("rb") as f:
                fields = f.readline().split()
        except OSError:
            return None
        if len(fields) < 6 or fields[0] != b"cpu":
            return None
        counts = [int(x) for x in fields[1:]]
        now = (counts[3] + counts[4], sum(counts[:8]), self._own_cpu())  # idle + iowait; user … steal
        last, self._last = self._last, now
        if last is None or now[1] <= last[1]:
            return None
        own = (now[2] - last[2]) * self._ticks
        return min(1.0, (now[0] - last[0] + own) / (now[1] - last[1]))


@dataclass(frozen=True, slots=True)
class Pacing:
    max_lag_s: float = 60.0
    max_lag_bytes: int = 256 * 1024 * 1024


class IndexPacer:
    """Decides, pass by pass, whether the indexer waits. ``backlog`` gives the journal bytes not
    yet indexed; ``clock`` is monotonic seconds."""

    def __init__(
        self,
        meter: IdleMeter,
        backlog: Callable[[], int],
        pacing: Pacing | None = None,
        clock: Callable[[], float] = time.monotonic,
        cpus: int | None = None,
    ) -> None:
        self._meter = meter
        self._busy_below = min(1.0, SPARE_CORES / (cpus or os.cpu_count() or 1))
        self._backlog = backlog
        self.pacing = pacing or Pacing()
        self._clock = clock
        self._waiting_since: float | None = None
        self.deferred_passes = 0

    def should_wait(self) -> bool:
        """True while there is a backlog, the machine is saturated and the lag is within bounds."""
        idle = self._meter.idle_share()  # read every pass, so each reading covers one poll interval
        backlog = self._backlog()
        saturated = idle is not None and idle < self._busy_below
        if backlog == 0 or not saturated:
            self._waiting_since = None
            return False
        now = self._clock()
        if self._waiting_since is None:
            self._waiting_since = now
        if now - self._waiting_since >= self.pacing.max_lag_s or backlog >= self.pacing.max_lag_bytes:
            self._waiting_since = None
            return False
        self.deferred_passes += 1
        return True
