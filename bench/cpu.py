"""CPU accounting around a measurement, from /proc: the server, the load generator and everything else.

On a 2-core machine the server and wrk share the CPUs, so a cell also records how busy the server
was (100 % = one core) and how much CPU went to other processes ("background"), which would
otherwise silently lower the figures.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(slots=True)
class CpuUse:
    """Percent of one core over the wall time of the block; filled in when the block ends."""

    server_pct: float = 0.0
    loadgen_pct: float = 0.0
    background_pct: float = 0.0
    wall_s: float = 0.0


def _group_s(pgid: int) -> float:
    """User plus system CPU seconds of the live processes in process group ``pgid`` (a server's workers)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process has just exited
        if int(fields[2]) == pgid:  # pgrp, utime, stime: fields 5, 14 and 15 of stat
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICK


def _machine_busy_s() -> float:
    """CPU seconds the whole machine spent running processes: user, nice and system.

    Interrupt and softirq time (loopback networking, mostly) and steal are left out, as they
    are not charged to any process.
    """
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().split(maxsplit=4)[1:4])
    return (user + nice + system) / _TICK


def _children_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def metered(server_pgid: int) -> Iterator[CpuUse]:
    """Meter the block: the server's process group, our finished children (wrk) and the rest of the machine."""
    use = CpuUse()
    start = time.monotonic(), _group_s(server_pgid), _children_s(), _machine_busy_s()
    yield use
    wall = time.monotonic() - start[0]
    server = _group_s(server_pgid) - start[1]
    loadgen = _children_s() - start[2]
    busy = _machine_busy_s() - start[3]
    use.wall_s = wall
    use.server_pct = 100 * server / wall
    use.loadgen_pct = 100 * loadgen / wall
    use.background_pct = max(0.0, 100 * (busy - server - loadgen) / wall)
