"""The event-store benchmark's command line: what to measure, and how much of it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from event_stores import PG_ADMIN_URL

RESULTS = Path(__file__).with_name("results")
MAX_STREAM_CALLS = 240
"""Each stream measurement creates calls + 10 keys, up to four times, under the 1,000-key quota."""


@dataclass(frozen=True, slots=True)
class Options:
    events: int
    backends: tuple[str, ...]
    batch: int
    queries: int
    http_queries: int
    stream_calls: int
    single: int
    single_budget_s: float
    page_size: int
    seed: int
    autovacuum_wait_s: float
    pg_admin_url: str
    results_dir: Path

    def to_json(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "pg_admin_url"}
        return {name: str(v) if isinstance(v, Path) else v for name, v in values.items()}


def parse_args(description: str, argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=None, help="events to fill (default 1,000,000)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="100,000 events and fewer queries and calls")
    parser.add_argument("--batch", type=int, default=1000, help="events per transaction (default 1,000)")
    parser.add_argument("--queries", type=int, default=None, help="queries per filter (default 200)")
    parser.add_argument(
        "--http-queries", type=int, default=None, help="of those, through the SDK (default 50)"
    )
    parser.add_argument(
        "--stream-calls", type=int, default=None, help="ScheduleKeyDeletion calls (default 200)"
    )
    parser.add_argument("--page-size", type=int, default=10, help="PageSize of each query (default 10)")
    parser.add_argument("--seed", type=int, default=4, help="seed of the event mix and the query values")
    parser.add_argument(
        "--pg-admin-url", default=PG_ADMIN_URL, help=f"where databases are made ({PG_ADMIN_URL})"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    quick = args.quick
    if args.stream_calls is not None and not 1 <= args.stream_calls <= MAX_STREAM_CALLS:
        parser.error(f"--stream-calls must be 1-{MAX_STREAM_CALLS}")
    return Options(
        events=args.events or (100_000 if quick else 1_000_000),
        backends=("sqlite", "postgresql") if args.backend == "both" else (args.backend,),
        batch=args.batch,
        queries=args.queries or (50 if quick else 200),
        http_queries=args.http_queries or (20 if quick else 50),
        stream_calls=args.stream_calls or (50 if quick else 200),
        single=1000 if quick else 5000,
        single_budget_s=10.0 if quick else 30.0,
        page_size=args.page_size,
        seed=args.seed,
        autovacuum_wait_s=120.0 if quick else 300.0,
        pg_admin_url=args.pg_admin_url,
        results_dir=args.results_dir,
    )
