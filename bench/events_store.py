"""The event center at scale: ingest rate, DescribeSystemEventAttribute latency and the delay from a
KMS call to the live stream, on SQLite and PostgreSQL, in one run.

Run from the repository root:  .venv/bin/python bench/events_store.py [--events N] [--backend both] [--quick]

Per backend, on a fresh store: fill it with N events (default 1,000,000) spread over 90 days in
transactions of 1,000 through EventCenter; ingest live events one per transaction; time 200
randomised queries of each typical filter through EventCenter.search, a subset through the CMS SDK
against ``vigil serve`` on the same store; then time ScheduleKeyDeletion → event in the SSE stream.
The targets are issue 4's. The exit status is 1 if
a measurement was invalid (an error answer, a lost stream event), not when a target is missed.
"""

from __future__ import annotations

import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from cpu_shares import CpuSplit, metered
from event_stores import REGION, StoreUnderTest, fresh_store, wait_for_autovacuum
from events_ingest import BackfillClock, IngestRun, fill, ingest_singly, say
from events_mix import EventMix
from events_options import Options, parse_args
from events_queries import (
    FILTERS,
    INDEXED,
    KEYWORD_90_DAYS,
    Latencies,
    Query,
    captured,
    cms_client,
    draw_queries,
    page_statement,
    query_plan,
    time_sdk,
    time_service,
)
from events_report import machine_facts, render_backend
from events_stream import kms_client, time_resume, time_tail
from events_stream import measure as stream_delays
from report import Goal, goals_markdown, write_results

from vigil.app import App
from vigil.client import VigilClient
from vigil.clock import DAY_MS, SystemClock
from vigil.events import store
from vigil.events.service import EventCenter

TARGET_EVENTS_PER_S = 20_000
TARGET_P95_MS = 50.0
SPAN_DAYS = 90
MARGIN_MS = 3_600_000
"""The oldest hour of the 90 days is left empty, so the server's retention job deletes nothing during the run."""
WARMUP_QUERIES = 10
ATTEMPTS = 3
"""A query set measured while other processes were busy is measured again, up to this many times."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend asked for; the exit status is 1 if a measurement was invalid."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    options = parse_args(__doc__ or "", argv)
    started = datetime.now(UTC)
    facts = machine_facts(options.backends, options.pg_admin_url)
    print("## Machine\n\n" + "\n".join(f"- {k}: {v}" for k, v in facts.items()) + "\n", flush=True)
    results: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="vigil-events-bench-") as tmp:
            for backend in options.backends:
                say(f"# {backend}")
                results[backend] = BackendRun(backend, options, Path(tmp)).run()
                print(render_backend(backend, results[backend]) + "\n", flush=True)
    except KeyboardInterrupt:
        print("interrupted; the server was stopped and the databases dropped", file=sys.stderr)
        return 130
    found = goals(results)
    print("## Goals\n\n" + goals_markdown(found) + "\n")
    invalid = [f"{backend}: {p}" for backend, r in results.items() for p in r["problems"]]
    payload = {
        "benchmark": "events-store",
        "started_at": started.isoformat(timespec="seconds"),
        "command": [Path(sys.executable).name, *sys.argv],
        "options": options.to_json(),
        "machine": facts,
        "backends": results,
        "goals": [{"goal": g.text, "measured": g.measured, "met": g.met} for g in found],
        "valid": not invalid,
    }
    print(f"Results written to {write_results(options.results_dir, 'events-store', payload)}")
    for problem in invalid:
        print(f"INVALID {problem}")
    return 1 if invalid else 0


def _exit_on_signal(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds through every ``finally``: server stopped, databases dropped


def goals(results: dict[str, dict[str, Any]]) -> list[Goal]:
    """Issue 4's targets for each backend measured."""
    found = []
    for backend, r in results.items():
        name = "SQLite" if backend == "sqlite" else "PostgreSQL"
        rate = r["ingest"]["batched"]["events_per_s"]
        found.append(
            Goal(
                f"{name}: ingest in transactions of {r['ingest']['batch']:,} ≥ {TARGET_EVENTS_PER_S:,} events/s",
                f"{rate:,.0f} events/s",
                rate >= TARGET_EVENTS_PER_S,
            )
        )
        for path in ("service", "sdk"):
            for kind in INDEXED:
                cell = r["queries"][kind].get(path)
                if cell is None:
                    continue
                via = "EventCenter.search" if path == "service" else "CMS SDK over HTTP"
                text = f"{name}: DescribeSystemEventAttribute p95 < {TARGET_P95_MS:.0f} ms, {kind} ({via})"
                p95 = cell["latency"]["p95_ms"]
                found.append(Goal(text, f"{p95:.2f} ms", p95 < TARGET_P95_MS))
    return found


class BackendRun:
    """Every measurement on one backend, from a fresh store; returns a JSON-ready dict."""

    def __init__(self, backend: str, options: Options, tmp: Path) -> None:
        self.backend = backend
        self.options = options
        self.workdir = tmp / backend
        self.workdir.mkdir(parents=True)
        self.rng = random.Random(options.seed)
        self.problems: list[str] = []

    def run(self) -> dict[str, Any]:
        with fresh_store(self.backend, self.workdir, self.options.pg_admin_url) as target:
            app = target.open()
            try:
                return self._measure(target, app)
            finally:
                app.close()

    def _measure(self, target: StoreUnderTest, app: App) -> dict[str, Any]:
        account_id, region = app.bootstrap.account.account_id, app.services.region
        live = app.services.events
        mix = EventMix(self.rng, account_id, region, lambda kind, name: live.arn(account_id, kind, name))
        now = SystemClock().now_ms()
        span = (now - SPAN_DAYS * DAY_MS + MARGIN_MS, now)
        result: dict[str, Any] = {"ingest": self._ingest(target, app, mix, span)}
        result["events_stored"] = _count_events(app)
        queries = {kind: self._draw(kind, mix, span, now) for kind in FILTERS}
        result["queries"] = {
            kind: {"service": self._service(app, qs, self.options.queries)} for kind, qs in queries.items()
        }
        explained = {
            kind: self._slowest(qs, result["queries"][kind]["service"]) for kind, qs in queries.items()
        }
        result["plans"] = self._plans(app, explained)
        result["probes"] = _probes(live, account_id)
        say("starting vigil serve on the same store")
        child, port = target.serve(self.workdir)
        try:
            client = cms_client(port, target.access_key_id, target.access_key_secret, REGION)
            time_sdk(client, queries[FILTERS[0]][:WARMUP_QUERIES], self.options.page_size)
            for kind, qs in queries.items():
                result["queries"][kind]["sdk"] = self._sdk(client, child.pid, qs, result["queries"][kind])
            result["stream"] = self._stream(target, port, child.pid)
        finally:
            child.stop()
        _strip(result)
        result["problems"] = self.problems
        return result

    # -- ingest ------------------------------------------------------------------------------

    def _ingest(
        self, target: StoreUnderTest, app: App, mix: EventMix, span: tuple[int, int]
    ) -> dict[str, Any]:
        options, account_id, region = self.options, app.bootstrap.account.account_id, app.services.region
        clock = BackfillClock(*span, options.events)
        center = EventCenter(app.services.db, clock, lambda: region)
        say(f"filling {options.events:,} events over {SPAN_DAYS} days, {options.batch:,} per transaction")
        with metered() as cpu:
            batched = fill(center, app.services.db, account_id, mix, clock, options.batch, say)
        found: dict[str, Any] = {"batch": options.batch, "batched": _ingest_json(batched, cpu)}
        if target.database_url:
            say("waiting for autovacuum to analyse and vacuum system_events")
            found["autovacuum"] = wait_for_autovacuum(
                target.database_url, "system_events", options.autovacuum_wait_s
            )
        say(f"live events, one per transaction (up to {options.single:,} or {options.single_budget_s:.0f} s)")
        with metered() as cpu:
            single = ingest_singly(live_center(app), account_id, mix, options.single, options.single_budget_s)
        found["single"] = _ingest_json(single, cpu)
        return found

    # -- queries -----------------------------------------------------------------------------

    def _draw(self, kind: str, mix: EventMix, span: tuple[int, int], now: int) -> list[Query]:
        return draw_queries(kind, WARMUP_QUERIES + self.options.queries, self.rng, mix, span, now)

    def _service(self, app: App, queries: list[Query], count: int) -> dict[str, Any]:
        """Warm up, then time ``count`` of the queries through EventCenter.search."""
        kind, center, size = queries[0].kind, live_center(app), self.options.page_size
        account_id = app.bootstrap.account.account_id
        measured = queries[WARMUP_QUERIES : WARMUP_QUERIES + count]
        say(f"{len(measured)} queries through EventCenter.search: {kind}")
        time_service(center, account_id, queries[:WARMUP_QUERIES], size)
        found = _quietest(lambda: time_service(center, account_id, measured, size), _attempts(kind))
        return found.to_json()

    def _sdk(self, client: Any, pgid: int, queries: list[Query], cell: dict[str, Any]) -> dict[str, Any]:
        """A subset of the queries through the CMS SDK; the answers must be EventCenter.search's."""
        kind = queries[0].kind
        subset = queries[WARMUP_QUERIES : WARMUP_QUERIES + self.options.http_queries]
        say(f"{len(subset)} queries through the CMS SDK: {kind}")
        found = _quietest(lambda: time_sdk(client, subset, self.options.page_size), _attempts(kind), pgid)
        sdk = found.to_json()
        if kind != KEYWORD_90_DAYS:  # the keyword window slides with the clock; the others are fixed
            expected = cell["service"]["_ids"][: len(subset)]
            differing = sum(1 for a, b in zip(found.latencies.ids, expected, strict=True) if a != b)
            sdk["answers_differing_from_service"] = differing
            if differing:
                self.problems.append(f"{kind}: {differing} SDK answers differ from EventCenter.search's")
        return sdk

    def _slowest(self, queries: list[Query], measured: dict[str, Any]) -> Query:
        times = measured["_ms"]
        return queries[WARMUP_QUERIES + max(range(len(times)), key=times.__getitem__)]

    def _plans(self, app: App, explained: dict[str, Query]) -> dict[str, Any]:
        """The plan of each filter's slowest query, of the stream's tail and resume, and of the retention job."""
        db, account_id = app.services.db, app.bootstrap.account.account_id
        plans = {}
        for kind, query in explained.items():
            plans[f"{kind} (its slowest query)"] = _plan(
                db, *page_statement(account_id, query, self.options.page_size)
            )
        now = SystemClock().now_ms()
        newest = live_center(app).resume_point(account_id, event_id=None, since_ms=None)
        plans["stream tail (store.after)"] = _plan(
            db, *captured(lambda tx: store.after(tx, account_id, newest - 10, 500))
        )
        plans["stream resume (store.seq_at)"] = _plan(
            db, *captured(lambda tx: store.seq_at(tx, account_id, now))
        )
        cutoff = now - SPAN_DAYS * DAY_MS
        retention = captured(lambda tx: store.delete_before(tx, cutoff, 5000))
        plans["retention job (store.delete_before)"] = _plan(db, *retention, analyze=False)
        return plans

    # -- through the server ------------------------------------------------------------------

    def _stream(self, target: StoreUnderTest, port: int, pgid: int) -> dict[str, Any]:
        calls = self.options.stream_calls
        say(f"{calls} ScheduleKeyDeletion calls, each timed to its event in the live stream")
        kms = kms_client(port, target.access_key_id, target.access_key_secret, REGION)
        url = f"http://127.0.0.1:{port}"
        with VigilClient(url, target.access_key_id, target.access_key_secret) as client, metered(pgid) as cpu:
            delays = stream_delays(kms, client, calls, warmup=10)
        found = delays.to_json() | {"cpu": cpu.to_json()}
        if delays.missing or delays.problems:
            self.problems.append(f"stream: {delays.missing} events missing; {'; '.join(delays.problems[:3])}")
        return found


@dataclass(frozen=True, slots=True)
class Attempts:
    """The quietest of up to ATTEMPTS measurements of one query set, and how many were made."""

    latencies: Latencies
    cpu: CpuSplit
    chosen: int
    made: int

    def to_json(self) -> dict[str, Any]:
        return {
            "latency": self.latencies.to_json(),
            "cpu": self.cpu.to_json(),
            "attempts": self.made,
            "chosen_attempt": self.chosen,
            "_ms": self.latencies.ms,  # to pick the slowest query to explain; dropped before the report
            "_ids": self.latencies.ids,  # to compare the SDK's answers with; dropped too
        }


def _attempts(kind: str) -> int:
    """The indexed filters are measured again on a busy machine; the keyword scan (no target, and
    seconds per query on PostgreSQL) is measured once, with its CPU shares reported."""
    return ATTEMPTS if kind in INDEXED else 1


def _quietest(measure: Callable[[], Latencies], attempts: int, server_pgid: int | None = None) -> Attempts:
    """Measure; again (up to ``attempts``) while other processes were busy; the quietest attempt wins."""
    best: tuple[Latencies, CpuSplit, int] | None = None
    for attempt in range(1, attempts + 1):
        with metered(server_pgid) as cpu:
            latencies = measure()
        if best is None or cpu.other_pct < best[1].other_pct:
            best = (latencies, cpu, attempt)
        if not cpu.noisy or attempt == attempts:
            break
        say(f"other processes used {cpu.other_pct:.0f} % of a core; measuring again")
    assert best is not None
    return Attempts(*best, made=attempt)


def _ingest_json(run: IngestRun, cpu: CpuSplit) -> dict[str, Any]:
    from events_queries import percentile

    return run.to_json() | {
        "transaction_p50_ms": round(percentile(run.transaction_ms, 50), 3),
        "transaction_p95_ms": round(percentile(run.transaction_ms, 95), 3),
        "cpu": cpu.to_json(),
    }


def _plan(db: Any, sql: str, params: list[Any], *, analyze: bool = True) -> dict[str, Any]:
    return {"sql": sql, "params": params, "plan": query_plan(db, sql, params, analyze=analyze)}


def live_center(app: App) -> EventCenter:
    """The app's own EventCenter, on the real clock."""
    return app.services.events


def _count_events(app: App) -> int:
    with app.services.db.transaction(write=False) as tx:
        row = tx.one("SELECT COUNT(*) AS n FROM system_events")
    return int(row["n"]) if row else 0


def _probes(center: EventCenter, account_id: str) -> dict[str, Any]:
    """What a running server does besides answering: a stream's poll and resume, the retention job."""
    say("probes: stream poll and resume, retention job")
    return {
        "stream_poll": time_tail(center, account_id),
        "stream_resume": time_resume(center, account_id),
        "retention_job_ms": _time_retention(center),
    }


def _time_retention(center: EventCenter, runs: int = 3) -> list[float]:
    """EventCenter.enforce_retention, as the server's job runs it every few seconds (nothing is old enough)."""
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        center.enforce_retention()
        spent.append(round((time.perf_counter() - began) * 1000, 1))
    return spent


def _strip(result: dict[str, Any]) -> None:
    """Drop the per-query times and answers kept for the run itself."""
    for cell in result["queries"].values():
        for path in cell.values():
            path.pop("_ms", None)
            path.pop("_ids", None)


if __name__ == "__main__":
    sys.exit(main())
