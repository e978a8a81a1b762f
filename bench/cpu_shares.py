"""CPU accounting for a phase of an in-process benchmark, from /proc: this process, a Vigil server,
PostgreSQL and everything else on the machine.

The event-store benchmark runs the service code in its own process and talks to PostgreSQL on the
same machine, so cpu.metered's split (one server group, wrk, the rest) does not fit; this one names
the four parties. 100 % is one core.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK")
NOISY_PCT = 25.0
"""Other processes using more than this share of a core make a phase's figures suspect."""


@dataclass(slots=True)
class CpuSplit:
    """Percent of one core over the phase's wall time; filled in when the block ends."""

    wall_s: float = 0.0
    bench_pct: float = 0.0
    server_pct: float = 0.0
    postgres_pct: float = 0.0
    other_pct: float = 0.0

    @property
    def noisy(self) -> bool:
        return self.other_pct > NOISY_PCT

    def to_json(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 2),
            "bench_pct": round(self.bench_pct, 1),
            "server_pct": round(self.server_pct, 1),
            "postgres_pct": round(self.postgres_pct, 1),
            "other_pct": round(self.other_pct, 1),
        }

    def summary(self) -> str:
        return (
            f"bench {self.bench_pct:.0f} %, server {self.server_pct:.0f} %, "
            f"PostgreSQL {self.postgres_pct:.0f} %, other {self.other_pct:.0f} %"
        )


def _processes_s(server_pgid: int | None) -> tuple[float, float]:
    """CPU seconds of the server's process group and of every process named ``postgres``."""
    server = postgres = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process has just exited
        name = text[text.find("(") + 1 : text.rfind(")")]
        fields = text.rpartition(")")[2].split()  # state, ppid, pgrp, … utime (11), stime (12)
        ticks = int(fields[11]) + int(fields[12])
        if server_pgid is not None and int(fields[2]) == server_pgid:
            server += ticks
        elif name == "postgres":
            postgres += ticks
    return server / _TICK, postgres / _TICK


def _self_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _machine_busy_s() -> float:
    """User, nice and system time of the whole machine (interrupts and steal left out)."""
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().split(maxsplit=4)[1:4])
    return (user + nice + system) / _TICK


@contextmanager
def metered(server_pgid: int | None = None) -> Iterator[CpuSplit]:
    """Meter the block: this process, the server's process group (if any), PostgreSQL and the rest."""
    split = CpuSplit()
    start = time.monotonic(), _self_s(), *_processes_s(server_pgid), _machine_busy_s()
    yield split
    wall = time.monotonic() - start[0]
    bench = _self_s() - start[1]
    server, postgres = (now - then for now, then in zip(_processes_s(server_pgid), start[2:4], strict=True))
    busy = _machine_busy_s() - start[4]
    split.wall_s = wall
    split.bench_pct = 100 * bench / wall
    split.server_pct = 100 * server / wall
    split.postgres_pct = 100 * postgres / wall
    split.other_pct = max(0.0, 100 * (busy - bench - server - postgres) / wall)
