"""What a run reports: machine facts, the Markdown table, goals checked against cells, and the JSON results file."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cpu import CpuUse
from systems import System
from wrk import WrkResult, wrk_version


@dataclass(frozen=True, slots=True)
class Cell:
    """One measurement: a system, an operation and a concurrency, with what made it invalid, if anything."""

    system: str
    operation: str
    concurrency: int
    result: WrkResult
    cpu: CpuUse
    pool_size: int
    attempts: int
    problems: tuple[str, ...] = ()
    settle: CpuUse | None = None
    """The wait after the measurement until the server had finished what it deferred (Vigil's
    audit indexing, which waits while the machine is saturated), metered; None if nothing was."""

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "operation": self.operation,
            "concurrency": self.concurrency,
            "rps": round(self.result.rps, 1),
            "p50_ms": self.result.p50_us / 1000,
            "p99_ms": self.result.p99_us / 1000,
            "server_cpu_pct": round(self.cpu.server_pct, 1),
            "loadgen_cpu_pct": round(self.cpu.loadgen_pct, 1),
            "background_cpu_pct": round(self.cpu.background_pct, 1),
            "pool_size": self.pool_size,
            "attempts": self.attempts,
            "valid": self.valid,
            "problems": list(self.problems),
            "wrk": self.result.to_json(),
            "settle": None
            if self.settle is None
            else {"wall_s": round(self.settle.wall_s, 3), "server_cpu_pct": round(self.settle.server_pct, 1)},
        }


@dataclass(frozen=True, slots=True)
class Goal:
    text: str
    measured: str
    met: bool | None  # None: a cell it needs was not measured


def machine_facts(systems: Iterable[System]) -> dict[str, str]:
    facts = {
        "nproc": str(os.cpu_count()),
        "usable CPUs": str(len(os.sched_getaffinity(0))),
        "CPU": _cpuinfo("model name"),
        "memory": _meminfo_gib(),
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "load generator": wrk_version(),
    }
    facts |= {system.name.split(" (")[0]: system.version() for system in systems}
    return facts


def _cpuinfo(field: str) -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == field:
                return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def facts_markdown(facts: dict[str, str]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts.items())


def table_markdown(cells: Sequence[Cell]) -> str:
    rows = [
        "| System | Operation | Concurrency | Requests/s | p50 (ms) | p99 (ms) | Errors | Server CPU | Other CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cell in cells:
        r = cell.result
        errors = str(r.errors) + ("" if cell.valid else " **invalid**")
        rows.append(
            f"| {cell.system} | {cell.operation} | {cell.concurrency} | {r.rps:,.0f} "
            f"| {r.p50_us / 1000:.2f} | {r.p99_us / 1000:.2f} | {errors} "
            f"| {cell.cpu.server_pct:.0f} % | {cell.cpu.background_pct:.0f} % |"
        )
    return "\n".join(rows)


def vigil_systems(cells: Sequence[Cell]) -> list[str]:
    """The Vigil configurations measured, in run order."""
    return list(dict.fromkeys(c.system for c in cells if c.system.startswith("Vigil")))


def find_cell(cells: Sequence[Cell], system: str, operation: str, concurrency: int) -> Cell | None:
    return next(
        (c for c in cells if (c.system, c.operation, c.concurrency) == (system, operation, concurrency)), None
    )


def ratio_goal(text: str, ours: Cell | None, theirs: Cell | None, at_least: float) -> Goal:
    """Met when ``ours`` served at least ``at_least`` times the requests per second of ``theirs``."""
    if ours is None or theirs is None or theirs.result.rps == 0:
        return Goal(text, "not measured", None)
    ratio = ours.result.rps / theirs.result.rps
    measured = f"{ours.result.rps:,.0f} vs {theirs.result.rps:,.0f} rps = {ratio:.2f}×"
    return Goal(text, measured, ratio >= at_least and ours.valid and theirs.valid)


def p99_goal(text: str, cell: Cell | None, below_ms: float) -> Goal:
    """Met when the cell's p99 latency is under ``below_ms``."""
    if cell is None:
        return Goal(text, "not measured", None)
    p99 = cell.result.p99_us / 1000
    return Goal(text, f"{p99:.2f} ms", p99 < below_ms and cell.valid)


def goals_markdown(found: Sequence[Goal]) -> str:
    marks = {True: "met", False: "**missed**", None: "n/a"}
    return "\n".join(f"- {goal.text}: {goal.measured} ({marks[goal.met]})" for goal in found)


def background_note(cells: Sequence[Cell], threshold_pct: float = 25.0) -> str | None:
    """A warning when other processes took a noticeable share of the CPU during some cells."""
    noisy = [cell for cell in cells if cell.cpu.background_pct > threshold_pct]
    if not noisy:
        return None
    worst = max(cell.cpu.background_pct for cell in noisy)
    return (
        f"Warning: other processes used more than {threshold_pct:.0f} % of a core during {len(noisy)} of "
        f"{len(cells)} cells (up to {worst:.0f} %); the machine was not idle, so these figures are low."
    )


def write_results(directory: Path, slug: str, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as ``<slug>-<UTC time>.json`` in ``directory`` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{slug}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path
