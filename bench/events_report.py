"""What the event-store benchmark prints: machine facts and, per backend, Markdown tables of ingest,
query latency, stream delay, the retention job's cost and the query plans."""

from __future__ import annotations

import os
import platform
import sqlite3
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from event_stores import postgres_facts
from systems.vigil import VigilSystem

_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def machine_facts(backends: Sequence[str], pg_admin_url: str) -> dict[str, str]:
    facts = {
        "nproc": str(os.cpu_count()),
        "usable CPUs": str(len(os.sched_getaffinity(0))),
        "CPU": _proc_field("/proc/cpuinfo", "model name"),
        "memory": f"{int(_proc_field('/proc/meminfo', 'MemTotal').split()[0]) / 2**20:.1f} GiB",
        "load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "kernel": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Vigil": VigilSystem().version(),
        "SQLite": sqlite3.sqlite_version,
        "psycopg": version("psycopg"),
        "alibabacloud-cms20190101": version("alibabacloud-cms20190101"),
        "alibabacloud-kms20160120": version("alibabacloud-kms20160120"),
    }
    if "postgresql" in backends:
        facts |= postgres_facts(pg_admin_url)
    return facts


def _proc_field(path: str, field: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == field:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def render_backend(backend: str, r: dict[str, Any]) -> str:
    name = _NAMES[backend]
    parts = [
        f"## {name} ({r['events_stored']:,} events stored)",
        "### Ingest\n\n" + _ingest_table(r["ingest"]),
        "### DescribeSystemEventAttribute\n\n" + _query_table(r["queries"]),
        "### ScheduleKeyDeletion → event in the live stream\n\n" + _stream_table(r["stream"]),
        "### What a running server does besides answering\n\n" + _probes(r["probes"]),
        "### Query plans\n\n" + _plans(r["plans"]),
    ]
    return "\n\n".join(parts)


def _ingest_table(ingest: dict[str, Any]) -> str:
    rows = [
        "| Path | Events | Transactions | Events/s | Events/s incl. drawing the mix "
        "| Transaction p50 / p95 (ms) | CPU: bench / PostgreSQL / other |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "batched": f"EventCenter, {ingest['batch']:,} events per transaction (backfill)",
        "single": "EventCenter, one event per transaction (live)",
    }
    runs = [(label, ingest[key]) for key, label in labels.items()]
    for label, run in runs:
        cpu = run["cpu"]
        rows.append(
            f"| {label} | {run['events']:,} | {run['transactions']:,} | {run['events_per_s']:,.0f} "
            f"| {run['wall_events_per_s']:,.0f} | {run['transaction_p50_ms']:.2f} / {run['transaction_p95_ms']:.2f} "
            f"| {cpu['bench_pct']:.0f} % / {cpu['postgres_pct']:.0f} % / {cpu['other_pct']:.0f} % |"
        )
    vacuum = ingest.get("autovacuum")
    if vacuum and vacuum["autovacuum"] == "off":
        rows.append(
            "\nautovacuum is off on this PostgreSQL server, so system_events is never analysed: the planner "
            "works without statistics (nothing in Vigil runs ANALYZE)."
        )
    elif vacuum:
        state = "settled" if vacuum["settled"] else "**not settled**"
        rows.append(
            f"\nAfter the fill, autovacuum {state} after {vacuum['waited_s']:.0f} s "
            f"(last autoanalyze {vacuum['last_autoanalyze']}, last autovacuum {vacuum['last_autovacuum']})."
        )
    return "\n".join(rows)


def _query_table(queries: dict[str, Any]) -> str:
    rows = [
        "| Filter | Path | Queries | p50 (ms) | p95 (ms) | max (ms) | Events per answer | Non-empty "
        "| CPU: Vigil / PostgreSQL / other | Attempts |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, cell in queries.items():
        for path, label in (("service", "EventCenter.search"), ("sdk", "CMS SDK → vigil serve")):
            if path not in cell:
                continue
            lat, cpu = cell[path]["latency"], cell[path]["cpu"]
            server = cpu["bench_pct"] if path == "service" else cpu["server_pct"]  # where Vigil's code ran
            rows.append(
                f"| {kind} | {label} | {lat['queries']} | {lat['p50_ms']:.2f} | {lat['p95_ms']:.2f} "
                f"| {lat['max_ms']:.2f} | {lat['mean_rows']:.1f} | {lat['non_empty']} "
                f"| {server:.0f} % / {cpu['postgres_pct']:.0f} % / {cpu['other_pct']:.0f} % | {cell[path]['attempts']} |"
            )
    return "\n".join(rows)


def _stream_table(s: dict[str, Any]) -> str:
    def cell(key: str) -> str:
        v = s[key]
        return f"{v['p50_ms']:.2f} / {v['p95_ms']:.2f} / {v['max_ms']:.2f}"

    cpu = s["cpu"]
    return "\n".join(
        [
            "| Calls | Call → event read (ms) p50 / p95 / max | Call alone | Event after the reply "
            "| Opening the stream (ms) | Missing | CPU: server / PostgreSQL / other |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {s['calls']} | {cell('call_to_stream')} | {cell('call')} | {cell('after_reply')} "
            f"| {s['stream_open_ms']:,.0f} | {s['missing']} "
            f"| {cpu['server_pct']:.0f} % / {cpu['postgres_pct']:.0f} % / {cpu['other_pct']:.0f} % |",
        ]
    )


def _probes(p: dict[str, Any]) -> str:
    poll, resume = p["stream_poll"], p["stream_resume"]
    runs = ", ".join(f"{ms:,.1f}" for ms in p["retention_job_ms"])
    return "\n".join(
        [
            f"- Each live stream, on every commit and at least once a second, reads the events after its "
            f"position (`EventCenter.tail`): p50 {poll['p50_ms']:.2f} ms, p95 {poll['p95_ms']:.2f} ms.",
            f"- Opening a stream from now (`EventCenter.resume_point`): p50 {resume['p50_ms']:.2f} ms, "
            f"max {resume['max_ms']:.2f} ms.",
            f"- The retention job (`EventCenter.enforce_retention`, every job interval, 5 s by default), "
            f"with nothing old enough to delete: {runs} ms in three runs.",
        ]
    )


def _plans(plans: dict[str, Any]) -> str:
    blocks = []
    for label, p in plans.items():
        blocks.append(f"{label}:\n\n```\n{p['sql']}\n-- {p['params']}\n" + "\n".join(p["plan"]) + "\n```")
    return "\n\n".join(blocks)
