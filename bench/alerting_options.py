"""The alerting benchmark's command line: which systems and measurements, and how much of each."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
SYSTEMS = ("vigil", "alertmanager")
MEASUREMENTS = ("throughput", "latency", "merge")
MAX_LATENCY_EVENTS = 900
"""Each latency run creates its keys up front, under the default instance's 1,000-key quota."""


@dataclass(frozen=True, slots=True)
class Options:
    systems: tuple[str, ...]
    measurements: tuple[str, ...]
    vigil_workers: tuple[int, ...]
    events: int
    batch: int
    threads: int
    warmup_batches: int
    baseline: bool
    latency_events: int
    interval_ms: float
    warmup: int
    merge_events: int
    merge_groups: int
    merge_window_s: int
    attempts: int
    rounds: int
    seed: int
    results_dir: Path

    def to_json(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {
            k: str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v
            for k, v in values.items()
        }


def _names(text: str, allowed: Sequence[str], what: str, parser: argparse.ArgumentParser) -> tuple[str, ...]:
    names = tuple(n.strip().lower() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown:
        parser.error(f"unknown {what} {unknown}; choose from {list(allowed)}")
    return names


def parse_args(description: str, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"any of {','.join(SYSTEMS)}")
    parser.add_argument(
        "--measurements", default=",".join(MEASUREMENTS), help=f"any of {','.join(MEASUREMENTS)}"
    )
    parser.add_argument(
        "--vigil-workers",
        default=",".join(dict.fromkeys(["1", str(os.cpu_count() or 1)])),
        help="Vigil configurations as worker-process counts (default: 1 and the number of CPUs)",
    )
    parser.add_argument("--quick", action="store_true", help="5,000 events, 100 paced triggers, 2,000 merged")
    parser.add_argument("--events", type=int, help="events (alerts) for the throughput run (default 20,000)")
    parser.add_argument("--batch", type=int, default=100, help="events (alerts) per request (default 100)")
    parser.add_argument("--threads", type=int, default=4, help="client threads sending batches (default 4)")
    parser.add_argument(
        "--warmup-batches",
        type=int,
        default=5,
        help="batches sent before the throughput clock starts (default 5)",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip Vigil's intake without rules (a reference row, not a goal)",
    )
    parser.add_argument("--latency-events", type=int, help="paced triggers, after the warm-up (default 300)")
    parser.add_argument(
        "--interval-ms", type=float, default=60.0, help="between paced triggers (default 60: 1,000/min)"
    )
    parser.add_argument("--warmup", type=int, default=10, help="paced triggers not counted (default 10)")
    parser.add_argument(
        "--merge-events", type=int, help="events (alerts) merged into groups (default 10,000)"
    )
    parser.add_argument(
        "--merge-groups", type=int, default=10, help="distinct values of the merge field (default 10)"
    )
    parser.add_argument(
        "--merge-window", type=int, default=5, help="merge window = group_wait, seconds (default 5)"
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="measure again while the machine is busy, up to this many times",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="throughput rounds, each system once per round in turn; the median round is reported (default 3)",
    )
    parser.add_argument("--seed", type=int, default=5, help="seed of the event mix")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    quick = args.quick
    latency_events = args.latency_events or (100 if quick else 300)
    if not 1 <= latency_events + args.warmup <= MAX_LATENCY_EVENTS:
        parser.error(f"--latency-events plus --warmup must be 1-{MAX_LATENCY_EVENTS}")
    return Options(
        systems=_names(args.systems, SYSTEMS, "system(s)", parser),
        measurements=_names(args.measurements, MEASUREMENTS, "measurement(s)", parser),
        vigil_workers=tuple(int(w) for w in args.vigil_workers.split(",")),
        events=args.events or (5000 if quick else 20_000),
        batch=args.batch,
        threads=args.threads,
        warmup_batches=max(0, args.warmup_batches),
        baseline=not args.no_baseline,
        latency_events=latency_events,
        interval_ms=args.interval_ms,
        warmup=args.warmup,
        merge_events=args.merge_events or (2000 if quick else 10_000),
        merge_groups=args.merge_groups,
        merge_window_s=args.merge_window,
        attempts=max(1, args.attempts),
        rounds=max(1, args.rounds),
        seed=args.seed,
        results_dir=args.results_dir,
    )
