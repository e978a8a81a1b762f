"""Encrypt requests per second and p50/p99 latency with the audit trail on and off, in one run.

Run from the repository root:  .venv/bin/python bench/audit_encrypt.py [--rounds 3] [--duration 10] [--quick]

For each worker count (--vigil-workers, default 1 and the number of CPUs) a fresh Vigil is started
with VIGIL_AUDIT=on and then one with VIGIL_AUDIT=off (the switch exists only for this
measurement: off, calls are carried out without any record), and both are driven exactly as
encrypt_peers.py drives Vigil. The whole sequence runs --rounds times, on and off taking turns, and
each cell's goal uses its best round: other work on the machine only ever lowers a figure, so the
best of a few rounds is the closest to what the server itself can do. The goal is issue 6's:
auditing costs at most 15 % of throughput.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness import Benchmark, Options, main
from report import Cell, Goal, ratio_goal
from systems import Operation, System
from systems.vigil import VigilSystem

KEPT = 0.85
"""The share of the audit-off throughput that the audit-on server must reach."""


def audit_systems(rounds: int) -> Benchmark:
    """The benchmark, with audit on, then off, for each worker count, ``rounds`` times over."""

    def systems(options: Options) -> list[System]:
        found: list[System] = []
        for _ in range(rounds):
            found += [VigilSystem(w, audit=audit) for w in options.vigil_workers for audit in (True, False)]
        return found

    return Benchmark("audit-encrypt", __doc__ or "", (Operation.ENCRYPT,), audit_goals, systems)


def best(cells: Sequence[Cell], system: str, concurrency: int) -> Cell | None:
    """The round of a cell that served the most requests per second (invalid rounds left out)."""
    rounds = [c for c in cells if (c.system, c.concurrency) == (system, concurrency) and c.valid]
    return max(rounds, key=lambda c: c.result.rps, default=None)


def audit_goals(cells: Sequence[Cell]) -> list[Goal]:
    """Each configuration with audit on keeps at least 85 % of its throughput with audit off. Each
    goal also gives the server's CPU per call (all its processes: workers, indexing, jobs), which
    other work on the machine disturbs far less than requests per second."""
    found = []
    for on in dict.fromkeys(c.system for c in cells if c.system.endswith("audit on)")):
        off = on.replace("audit on)", "audit off)")
        workers = on.removeprefix("Vigil (").removesuffix(", audit on)")
        for concurrency in sorted({c.concurrency for c in cells if c.system == on}):
            text = f"{workers}: Encrypt c{concurrency} with audit ≥ {KEPT:.0%} of without (best rounds)"
            with_audit, without = best(cells, on, concurrency), best(cells, off, concurrency)
            goal = ratio_goal(text, with_audit, without, KEPT)
            if with_audit is not None and without is not None:
                cpu = (
                    f"; server CPU {cpu_per_call(with_audit):.0f} vs {cpu_per_call(without):.0f} µs per call"
                    f"{catch_up(with_audit)}"
                )
                goal = Goal(goal.text, goal.measured + cpu, goal.met)
            found.append(goal)
    return found


def catch_up(cell: Cell) -> str:
    """What the indexing deferred during the measurement cost afterwards: how long until it had
    caught up, and the server's CPU per call counting that too."""
    if cell.settle is None or not cell.result.requests:
        return ""
    during = cell.cpu.server_pct * cell.cpu.wall_s / 100
    after = cell.settle.server_pct * cell.settle.wall_s / 100
    total_us = (during + after) * 1_000_000 / cell.result.requests
    return f" (indexing caught up {cell.settle.wall_s:.1f} s later; {total_us:.0f} µs per call with that)"


def cpu_per_call(cell: Cell) -> float:
    """Microseconds of server CPU (every process of the server) per request served."""
    return cell.cpu.server_pct * 10_000 / cell.result.rps if cell.result.rps else 0.0


if __name__ == "__main__":
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--rounds", type=int, default=3, help="times the on/off sequence runs (default 3)")
    known, rest = extra.parse_known_args()
    sys.exit(main(audit_systems(max(1, known.rounds)), rest))
