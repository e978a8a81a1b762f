"""Encrypt/Decrypt requests per second and p50/p99 latency of Vigil, moto and OpenBao transit, in one run.

Run from the repository root:  .venv/bin/python bench/encrypt_peers.py [--duration 10] [--quick]

Vigil is driven like the official Alibaba KMS SDK, moto through KMS in the AWS JSON protocol,
OpenBao through its transit engine; all encrypt the same 32 bytes. The goals are issue 2's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harness import Benchmark, main
from report import Cell, Goal, find_cell, p99_goal, ratio_goal, vigil_systems
from systems import Operation


def encrypt_goals(cells: Sequence[Cell]) -> list[Goal]:
    """Issue 2's targets, for each Vigil configuration measured."""
    moto, bao = (find_cell(cells, name, "Encrypt", 32) for name in ("moto", "OpenBao"))
    found = []
    for vigil in vigil_systems(cells):
        ours = find_cell(cells, vigil, "Encrypt", 32)
        found.append(ratio_goal(f"{vigil}: Encrypt c32 ≥ 5× moto", ours, moto, 5.0))
        found.append(
            ratio_goal(f"{vigil}: Encrypt c32 ≥ 80 % of OpenBao (ahead is the goal)", ours, bao, 0.8)
        )
        for operation in ("Encrypt", "Decrypt"):
            cell = find_cell(cells, vigil, operation, 8)
            found.append(p99_goal(f"{vigil}: {operation} p99 < 20 ms at c8", cell, 20.0))
    return found


BENCHMARK = Benchmark("encrypt-peers", __doc__ or "", (Operation.ENCRYPT, Operation.DECRYPT), encrypt_goals)

if __name__ == "__main__":
    sys.exit(main(BENCHMARK))
