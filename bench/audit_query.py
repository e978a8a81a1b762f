"""The audit trail at scale: insert cost, LookupEvents and advanced-query latency over a million
records, on SQLite and PostgreSQL, in one run.

Run from the repository root:  .venv/bin/python bench/audit_query.py [--records N] [--backend both] [--quick]

Per backend, on a fresh store (a temporary SQLite file; a throw-away PostgreSQL database): insert N
records (default 1,000,000) spread over 90 days through vigil.audit.store, 1,000 per transaction,
timing the encoding (Python, before the write lock) apart from the write; let PostgreSQL's planner see
the table (autovacuum's analyse, or ANALYZE when autovacuum is off); then time 200 randomised queries
of each kind in audit_queries.KINDS, each in its own read transaction, and explain the slowest of
each. The target is issue 6's: p95 < 200 ms for the selective queries on both backends. The exit
status is 1 if a measurement was invalid (a query failed), not when a target is missed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from audit_queries import KINDS, KindResult, draw, plan, time_queries
from audit_workload import AuditMix, spread
from cpu_shares import metered
from event_stores import PG_ADMIN_URL, throwaway_database, wait_for_autovacuum
from events_ingest import say
from events_queries import percentile
from events_report import machine_facts
from report import Goal, goals_markdown, write_results

from vigil.audit import store
from vigil.clock import DAY_MS, SystemClock
from vigil.storage import statistics
from vigil.storage.engine import Database, PostgresDatabase, SqliteDatabase
from vigil.storage.migrations import migrate

RESULTS = Path(__file__).with_name("results")
TARGET_P95_MS = 200.0
SPAN_DAYS = 90
ACCOUNT = "1498765432101234"
OTHER_ACCOUNT = "1723456789012345"
WARMUP = 10
IDS_KEPT = 5000


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend asked for; the exit status is 1 if a measurement was invalid."""
    options = _options(argv)
    started = datetime.now(UTC)
    facts = machine_facts(options.backends, options.pg_admin_url)
    print("## Machine\n\n" + "\n".join(f"- {k}: {v}" for k, v in facts.items()) + "\n", flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="vigil-audit-bench-") as tmp:
        for backend in options.backends:
            say(f"# {backend}")
            with _fresh(backend, Path(tmp), options.pg_admin_url) as (db, url):
                results[backend] = BackendRun(db, url, options).run()
            print(f"## {backend}\n\n{_insert_line(results[backend]['insert'])}\n", flush=True)
            print(_table({backend: results[backend]}) + "\n", flush=True)
    if len(results) > 1:
        print("## Both\n\n" + _table(results) + "\n")
    found = goals(results)
    print("## Goals\n\n" + goals_markdown(found) + "\n")
    invalid = [f"{backend}: {p}" for backend, r in results.items() for p in r["problems"]]
    payload = {
        "benchmark": "audit-query",
        "started_at": started.isoformat(timespec="seconds"),
        "command": [Path(sys.executable).name, *sys.argv],
        "options": {k: v for k, v in vars(options).items() if k not in ("pg_admin_url", "results_dir")},
        "machine": facts,
        "backends": results,
        "goals": [{"goal": g.text, "measured": g.measured, "met": g.met} for g in found],
        "valid": not invalid,
    }
    print(f"Results written to {write_results(options.results_dir, 'audit-query', payload)}")
    for problem in invalid:
        print(f"INVALID {problem}")
    return 1 if invalid else 0


def _options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=None, help="records to insert (default 1,000,000)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="100,000 records and 50 queries per kind")
    parser.add_argument("--batch", type=int, default=1000, help="records per transaction (default 1,000)")
    parser.add_argument("--queries", type=int, default=None, help="queries per kind (default 200)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the trail and the query values")
    parser.add_argument(
        "--pg-admin-url", default=PG_ADMIN_URL, help=f"where databases are made ({PG_ADMIN_URL})"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    options = parser.parse_args(argv)
    options.records = options.records or (100_000 if options.quick else 1_000_000)
    options.queries = options.queries or (50 if options.quick else 200)
    options.backends = ("sqlite", "postgresql") if options.backend == "both" else (options.backend,)
    return options


@contextmanager
def _fresh(backend: str, tmp: Path, admin_url: str) -> Iterator[tuple[Database, str | None]]:
    """A migrated, empty store; a PostgreSQL database is dropped when the block ends."""
    if backend == "sqlite":
        db: Database = SqliteDatabase(tmp / "audit.db")
        migrate(db)
        try:
            yield db, None
        finally:
            db.close()
        return
    with throwaway_database(admin_url) as url:
        db = PostgresDatabase(url)
        migrate(db)
        try:
            yield db, url
        finally:
            db.close()


class BackendRun:
    """Every measurement on one fresh store; returns a JSON-ready dict."""

    def __init__(self, db: Database, url: str | None, options: argparse.Namespace) -> None:
        self.db = db
        self.url = url
        self.options = options
        self.rng = random.Random(options.seed)
        self.mix = AuditMix.create(self.rng, ACCOUNT, OTHER_ACCOUNT)
        self.problems: list[str] = []

    def run(self) -> dict[str, Any]:
        now = SystemClock().now_ms()
        span = (now - SPAN_DAYS * DAY_MS + 3_600_000, now)
        result: dict[str, Any] = {"insert": self._fill(span)}
        result["planner_statistics"] = self._statistics()
        result["database_bytes"] = self._size()
        queries: dict[str, Any] = {}
        plans: dict[str, Any] = {}
        for kind in KINDS:
            say(f"{self.options.queries} queries: {kind.group}, {kind.label}")
            measured = KindResult(kind)
            drawn = draw(kind, WARMUP + self.options.queries, self.rng, self.mix, self.ids, span)
            try:
                time_queries(self.db, ACCOUNT, drawn[:WARMUP])
                time_queries(self.db, ACCOUNT, drawn[WARMUP:])
            except Exception as exc:  # a failed query invalidates the run, with its reason
                self.problems.append(f"{kind.label}: {type(exc).__name__}: {exc}")
                continue
            measured.timed = drawn[WARMUP:]
            queries[kind.label] = measured.to_json()
            plans[kind.label] = plan(self.db, ACCOUNT, max(measured.timed, key=lambda t: t.ms))
        result["queries"] = queries
        result["plans"] = plans
        result["retention_job_ms"] = self._time(lambda tx: store.delete_expired(tx, now))
        result["instance_log_bytes_ms"] = self._time(
            lambda tx: store.instance_log_bytes(tx, self.mix.instances[0])
        )
        result["problems"] = self.problems
        return result

    def _fill(self, span: tuple[int, int]) -> dict[str, Any]:
        count, batch = self.options.records, self.options.batch
        say(f"inserting {count:,} records over {SPAN_DAYS} days, {batch:,} per transaction")
        records = self.mix.records(spread(*span, count, self.rng))
        encode_s = write_s = 0.0
        transactions: list[float] = []
        ids: list[str] = []
        with metered() as cpu:
            for done in range(0, count, batch):
                chunk = [next(records) for _ in range(min(batch, count - done))]
                ids += [
                    r.event_id
                    for r in chunk[:: max(1, count // IDS_KEPT)]
                    if r.account_id == ACCOUNT and not r.instance_id
                ]
                began = time.perf_counter()
                rows = store.record_rows(chunk)
                encoded = time.perf_counter()
                with self.db.transaction() as tx:
                    store.insert_rows(tx, rows)
                written = time.perf_counter()
                encode_s += encoded - began
                write_s += written - encoded
                transactions.append((written - encoded) * 1000)
                if (done + len(chunk)) % 200_000 == 0:
                    say(f"{done + len(chunk):,} records, {(done + len(chunk)) / (encode_s + write_s):,.0f}/s")
        self.ids = ids
        return {
            "records": count,
            "batch": batch,
            "records_per_s": round(count / (encode_s + write_s)),
            "encode_us_per_record": round(encode_s / count * 1e6, 1),
            "write_us_per_record": round(write_s / count * 1e6, 1),
            "transaction_p50_ms": round(percentile(transactions, 50), 2),
            "transaction_p95_ms": round(percentile(transactions, 95), 2),
            "cpu": cpu.to_json(),
        }

    def _statistics(self) -> dict[str, Any]:
        if self.url is None:
            say(
                "SQLite: the statistics job's refresh (vigil/storage/statistics.py), as a server runs it hourly"
            )
            began = time.perf_counter()
            statistics.refresh(self.db)
            return {"sqlite": "statistics.refresh", "analyze_s": round(time.perf_counter() - began, 2)}
        with psycopg.connect(self.url, autocommit=True) as conn:
            enabled = conn.execute("SHOW autovacuum").fetchone()
        if enabled and enabled[0] == "on":
            say("waiting for autovacuum to analyse audit_records")
            return wait_for_autovacuum(self.url, "audit_records", 600.0)
        say("autovacuum is off on this server: ANALYZE audit_records, as autovacuum would")
        began = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ANALYZE audit_records")
        return {"autovacuum": "off", "analyze_s": round(time.perf_counter() - began, 1)}

    def _size(self) -> int:
        with self.db.transaction(write=False) as tx:
            if self.url is None:
                row = tx.one(
                    "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()"
                )
            else:
                row = tx.one("SELECT pg_database_size(current_database()) AS n")
        return int(row["n"]) if row else 0

    def _time(self, call: Any, runs: int = 3) -> list[float]:
        spent = []
        for _ in range(runs):
            began = time.perf_counter()
            with self.db.transaction() as tx:
                call(tx)
            spent.append(round((time.perf_counter() - began) * 1000, 2))
        return spent


def goals(results: dict[str, dict[str, Any]]) -> list[Goal]:
    """Issue 6's target for every selective kind on every backend measured."""
    found = []
    for backend, r in results.items():
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        for label, q in r["queries"].items():
            if q["selective"]:
                text = f"{name}: p95 < {TARGET_P95_MS:.0f} ms, {q['group']}, {label}"
                found.append(Goal(text, f"{q['p95_ms']:.1f} ms", q["p95_ms"] < TARGET_P95_MS))
    return found


def _table(results: dict[str, dict[str, Any]]) -> str:
    backends = list(results)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    header = (
        "| Query | Window | "
        + " | ".join(f"{names[b]} p50 / p95 (ms)" for b in backends)
        + " | Rows (mean) |"
    )
    rows = [header, "|---|---:|" + "---:|" * len(backends) + "---:|"]
    labels = dict.fromkeys(label for r in results.values() for label in r["queries"])
    for label in labels:
        cells = []
        first: dict[str, Any] | None = None
        for backend in backends:
            q = results[backend]["queries"].get(label)
            first = first or q
            cells.append(f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f}" if q else "–")
        assert first is not None
        mark = "" if first["selective"] else " (not selective)"
        rows.append(
            f"| {first['group']}: {label}{mark} | {first['window_days']} d | "
            + " | ".join(cells)
            + f" | {first['mean_rows']:g} |"
        )
    return "\n".join(rows)


def _insert_line(insert: dict[str, Any]) -> str:
    return (
        f"{insert['records']:,} records in transactions of {insert['batch']:,}: {insert['records_per_s']:,} records/s; "
        f"encoding {insert['encode_us_per_record']} µs/record (Python), writing {insert['write_us_per_record']} µs/record; "
        f"transaction p50 {insert['transaction_p50_ms']} ms, p95 {insert['transaction_p95_ms']} ms; CPU {insert['cpu']}"
    )


if __name__ == "__main__":
    sys.exit(main())
