"""What a run reports: machine facts, the Markdown table, the issue's goals, and the JSON results file."""

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


def goals(cells: Sequence[Cell]) -> list[Goal]:
    """The issue's targets, checked against this run for each Vigil configuration measured."""
    by = {(c.system, c.operation, c.concurrency): c for c in cells}
    moto, bao = (by.get((name, "Encrypt", 32)) for name in ("moto", "OpenBao"))
    found = []
    for vigil in dict.fromkeys(c.system for c in cells if c.system.startswith("Vigil")):
        ours = by.get((vigil, "Encrypt", 32))
        found.append(_ratio_goal(f"{vigil}: Encrypt c32 ≥ 5× moto", ours, moto, 5.0))
        found.append(
            _ratio_goal(f"{vigil}: Encrypt c32 ≥ 80 % of OpenBao (ahead is the goal)", ours, bao, 0.8)
        )
        for operation in ("Encrypt", "Decrypt"):
            cell = by.get((vigil, operation, 8))
            text = f"{vigil}: {operation} p99 < 20 ms at c8"
            if cell is None:
                found.append(Goal(text, "not measured", None))
            else:
                p99 = cell.result.p99_us / 1000
                found.append(Goal(text, f"{p99:.2f} ms", p99 < 20 and cell.valid))
    return found


def _ratio_goal(text: str, ours: Cell | None, theirs: Cell | None, at_least: float) -> Goal:
    if ours is None or theirs is None or theirs.result.rps == 0:
        return Goal(text, "not measured", None)
    ratio = ours.result.rps / theirs.result.rps
    measured = f"{ours.result.rps:,.0f} vs {theirs.result.rps:,.0f} rps = {ratio:.2f}×"
    return Goal(text, measured, ratio >= at_least and ours.valid and theirs.valid)


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


def write_results(directory: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as ``encrypt-peers-<UTC time>.json`` in ``directory`` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"encrypt-peers-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return path
