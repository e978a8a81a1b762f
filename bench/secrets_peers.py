"""GetSecretValue requests per second and p50/p99 latency of Vigil, moto and OpenBao KV v2, in one run.

Run from the repository root:  .venv/bin/python bench/secrets_peers.py [--duration 10] [--quick]

Vigil gets the call alibabacloud-secretsmanager-client-v2 makes (WIRE.md §6), moto Secrets
Manager's GetSecretValue in the AWS JSON protocol, and OpenBao a KV v2 read of ``secret/``; each
holds the same 64-byte text secret. The goals are issue 3's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from harness import Benchmark, main
from report import Cell, Goal, find_cell, ratio_goal, vigil_systems
from systems import Operation


def secrets_goals(cells: Sequence[Cell]) -> list[Goal]:
    """Issue 3's targets, for each Vigil configuration measured."""
    moto, bao = (find_cell(cells, name, "GetSecretValue", 32) for name in ("moto", "OpenBao"))
    found = []
    for vigil in vigil_systems(cells):
        ours = find_cell(cells, vigil, "GetSecretValue", 32)
        found.append(ratio_goal(f"{vigil}: GetSecretValue c32 ≥ 5× moto", ours, moto, 5.0))
        found.append(ratio_goal(f"{vigil}: GetSecretValue c32 ≥ OpenBao KV v2 read", ours, bao, 1.0))
    return found


BENCHMARK = Benchmark("secrets-peers", __doc__ or "", (Operation.GET_SECRET_VALUE,), secrets_goals)

if __name__ == "__main__":
    sys.exit(main(BENCHMARK))
