"""What the alerting benchmark prints: machine facts, one Markdown table per measurement, the goals
of issue 5 and what made a measurement invalid."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from events_report import machine_facts as event_machine_facts
from report import Goal
from systems.alertmanager import version as alertmanager_version

TARGET_P99_MS = 25.0
ALERTMANAGER = "Alertmanager"
Results = dict[str, list[dict[str, Any]]]


def machine_facts() -> dict[str, str]:
    facts = event_machine_facts(("sqlite",), "")
    facts.pop("psycopg", None)
    return facts | {"Alertmanager": alertmanager_version(), "httpx (clients)": version("httpx")}


def _cpu(r: dict[str, Any]) -> str:
    c = r["cpu"]
    return f"{c['server_pct']:.0f} % / {c['bench_pct']:.0f} % / {c['other_pct']:.0f} %"


def _seconds(value: float | None, owed: int = 1) -> str:
    if not owed:
        return "–"
    return "never" if value is None else f"{max(0.0, value):.2f}"


def throughput_table(rows: Sequence[dict[str, Any]]) -> str:
    rounds = any("rounds" in r for r in rows)
    lines = [
        "| System | Rules | Events | Events/s"
        + (" (median round) | Every round (events/s)" if rounds else "")
        + " | Batch p50 / p99 (ms) | Notifications owed | Notified "
        "| All notified after (s) | … after the last batch (s) | CPU server / bench / other |",
        "|---|---:|---:|---:|" + ("---|" if rounds else "") + "---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, owed = r["batch_latency"], r["notifications_owed"]
        every = f" | {' / '.join(f'{x:,.0f}' for x in r.get('rounds', ()))}" if rounds else ""
        lines.append(
            f"| {r['system']} | {r['rules']} | {r['events']:,} | **{r['events_per_s']:,.0f}**{every} "
            f"| {b['p50_ms']:.1f} / {b['p99_ms']:.1f} | {r['notifications_owed']:,} | {r['notified']:,} "
            f"| {_seconds(r['all_notified_s'], owed)} | {_seconds(r['notified_after_ingest_s'], owed)} | {_cpu(r)} |"
        )
    return "\n".join(lines)


def latency_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| System | Triggers | p50 (ms) | p99 (ms) | max (ms) | Trigger call p50 / p99 (ms) | Missing "
        "| CPU server / bench / other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lat, call = r["latency"], r["trigger_call"]
        lines.append(
            f"| {r['system']} | {r['triggers']} | {lat['p50_ms']:.2f} | **{lat['p99_ms']:.2f}** "
            f"| {lat['max_ms']:.2f} | {call['p50_ms']:.2f} / {call['p99_ms']:.2f} | {r['missing']} | {_cpu(r)} |"
        )
    return "\n".join(lines)


def merge_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        "| System | Grouping | Events | Intake (s) | Notifications | Events covered "
        "| First / last notification (s) | CPU server / bench / other |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['merge']} | {r['events']:,} | {r['ingest_s']:.2f} "
            f"| **{r['notifications']}** | {r['events_covered']:,} "
            f"| {_seconds(r['first_notification_s'])} / {_seconds(r['last_notification_s'])} | {_cpu(r)} |"
        )
    return "\n".join(lines)


def render(results: Results) -> str:
    parts = []
    if results.get("throughput"):
        parts.append(
            "### Batched intake, 100 events per request\n\n" + throughput_table(results["throughput"])
        )
    if results.get("latency"):
        parts.append("### Trigger → webhook, paced\n\n" + latency_table(results["latency"]))
    if results.get("merge"):
        parts.append("### Merged notifications\n\n" + merge_table(results["merge"]))
    return "\n\n".join(parts)


def goals(results: Results, merge_groups: int) -> list[Goal]:
    """Issue 5's targets, for each Vigil configuration measured."""
    found = []
    peer = next((r for r in results.get("throughput", ()) if r["system"] == ALERTMANAGER), None)
    for r in results.get("throughput", ()):
        if r["system"] == ALERTMANAGER or not r["rules"]:
            continue  # the run without rules is a reference, not a target
        text = f"{r['system']}: batched intake ≥ Alertmanager's alerts/s (batches of {r['batch']})"
        if peer is None:
            found.append(Goal(text, "Alertmanager not measured", None))
            continue
        ratio = r["events_per_s"] / peer["events_per_s"]
        measured = f"{r['events_per_s']:,.0f} vs {peer['events_per_s']:,.0f} per s = {ratio:.2f}×"
        found.append(Goal(text, measured, ratio >= 1.0 and not problems(r) and not problems(peer)))
    for r in results.get("latency", ()):
        if r["system"] == ALERTMANAGER:
            continue
        per_min = 60_000 / r["interval_ms"]
        text = f"{r['system']}: ScheduleKeyDeletion → webhook p99 < {TARGET_P99_MS:.0f} ms at {per_min:,.0f} events/min"
        p99 = r["latency"]["p99_ms"]
        found.append(Goal(text, f"{p99:.2f} ms", p99 < TARGET_P99_MS and not problems(r)))
    for r in results.get("merge", ()):
        if r["system"] == ALERTMANAGER:
            continue
        text = (
            f"{r['system']}: {r['events']:,} events in {merge_groups} groups → {merge_groups} notifications"
        )
        measured = f"{r['notifications']} notifications covering {r['events_covered']:,} events"
        met = r["notifications"] == merge_groups and r["events_covered"] == r["events"]
        found.append(Goal(text, measured, met))
    return found


def problems(r: dict[str, Any]) -> list[str]:
    """What makes a measurement invalid: failed requests, notifications that never came."""
    found = list(r.get("round_problems", ()))
    if r.get("errors"):
        found.append(f"{r['errors']} requests failed: {r['error_samples']}")
    if "notifications_owed" in r and r["notified"] < r["notifications_owed"]:
        found.append(f"{r['notified']} of {r['notifications_owed']} notifications arrived")
    if r.get("missing"):
        found.append(f"{r['missing']} of {r['triggers']} notifications never arrived")
    if "events_covered" in r and r["events_covered"] < r["events"]:
        found.append(f"the notifications covered {r['events_covered']} of {r['events']} events")
    return found
