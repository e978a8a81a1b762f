"""Alertmanager's side of the alerting benchmark: the same events as alerts, posted as Prometheus
posts them (``POST /api/v2/alerts``, a JSON list), the 100 rules as child routes, one webhook
receiver. Each measurement starts its own server with the configuration it needs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from alerting_load import Send, paced, send_batches
from alerting_receiver import WebhookReceiver, tally
from alerting_results import cpu_json, latency_json, merge_json, throughput_json
from alerting_workload import LATENCY_ALERT, RuleSpec, alert, batches, matching
from cpu_shares import metered
from systems.alertmanager import Alertmanager, Route, config, matcher

DRAIN_TIMEOUT_S = 300.0
ALERTS = "/api/v2/alerts"


def routes(specs: Sequence[RuleSpec]) -> list[Route]:
    """One child route per rule: its event as ``alertname``, a Kafka rule's instance as ``instance``;
    each alert that a route takes is its own group (``group_by: ['...']``), notified at once."""
    found = []
    for spec in specs:
        matchers = [matcher("alertname", spec.event_name)]
        if spec.instance:
            matchers.append(matcher("instance", spec.instance))
        found.append(Route(tuple(matchers)))
    return found


@contextmanager
def running(workdir: Path, routes: Sequence[Route], receiver: WebhookReceiver) -> Iterator[Alertmanager]:
    server = Alertmanager(config(receiver.url("alertmanager"), routes))
    server.start(workdir)
    try:
        yield server
    finally:
        server.stop()


def poster(server: Alertmanager) -> Send[bytes]:
    """One connection's POST of a batch of alerts (JSON bytes); raises on an error answer."""
    client = httpx.Client(base_url=server.url, headers={"Content-Type": "application/json"})

    def send(body: bytes) -> None:
        client.post(ALERTS, content=body).raise_for_status()

    return send


def _alert_ids(body: Any) -> list[str]:
    return [a["labels"]["event"] for a in body.get("alerts", ())] if isinstance(body, dict) else []


def throughput(
    workdir: Path,
    events: Sequence[dict[str, Any]],
    specs: Sequence[RuleSpec],
    batch: int,
    threads: int,
    warmup_batches: int,
) -> dict[str, Any]:
    """Post the events as alerts in batches through the rules' routes, the first ``warmup_batches``
    unmeasured; then wait until every alert a route takes has been notified."""
    alerts = [alert(p, f"t{i}") for i, p in enumerate(events)]
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in batches(alerts, batch)]
    owed = matching(events, specs)
    measured = len(events) - min(len(events), warmup_batches * batch)
    with WebhookReceiver() as receiver, running(workdir, routes(specs), receiver) as server:
        send_batches(lambda: poster(server), bodies[:warmup_batches], threads)
        with metered(server.pid) as cpu:
            run = send_batches(lambda: poster(server), bodies[warmup_batches:], threads)
        with metered(server.pid) as drain_cpu:
            got = tally(receiver, _alert_ids, owed, DRAIN_TIMEOUT_S if not run.errors else 5.0)
            receiver.quiet_for(1.5, 10.0)
        received = len(receiver.arrivals())
    return throughput_json(server.name, measured, batch, run, owed, got, received) | {
        "warmup_events": len(events) - measured,
        "threads": threads,
        "rules": len(specs),
        "cpu": cpu_json(cpu),
        "drain_cpu": cpu_json(drain_cpu),
    }


def latency(
    workdir: Path, specs: Sequence[RuleSpec], count: int, warmup: int, interval_s: float
) -> dict[str, Any]:
    """One alert per POST, paced; each its own group (group_by ['...'], group_wait 0s), timed from the
    POST's start to the receipt of its notification (matched on the alert's ``event`` label)."""
    probe = Route((matcher("alertname", LATENCY_ALERT),))
    ids = [f"p{i}" for i in range(warmup + count)]
    with WebhookReceiver() as receiver, running(workdir, [probe, *routes(specs)], receiver) as server:
        send = poster(server)
        time.sleep(0.5)

        def trigger(i: int) -> None:
            labels = {"alertname": LATENCY_ALERT, "instance": "bench", "severity": "warn", "event": ids[i]}
            send(json.dumps([{"labels": labels, "annotations": {"summary": "latency probe"}}]).encode())

        with metered(server.pid) as cpu:
            calls = paced(trigger, len(ids), interval_s)
            got = tally(receiver, _alert_ids, len(ids), 15.0)
        arrived = {i: a.at for a in reversed(receiver.arrivals()) for i in _alert_ids(a.body)}
    return latency_json(server.name, ids, calls, arrived, warmup, got) | {
        "interval_ms": interval_s * 1000,
        "rules": len(specs) + 1,
        "cpu": cpu_json(cpu),
    }


def merge(
    workdir: Path, events: Sequence[dict[str, Any]], window_s: int, batch: int, threads: int
) -> dict[str, Any]:
    """One route grouping by ``instance`` with group_wait = group_interval = ``window_s``; count the
    notifications."""
    alerts = [alert(p, f"m{i}") for i, p in enumerate(events)]
    bodies = [json.dumps(b, separators=(",", ":")).encode() for b in batches(alerts, batch)]
    window = f"{window_s}s"
    grouping = Route((), group_by=("instance",), group_wait=window, group_interval=window)
    with WebhookReceiver() as receiver, running(workdir, [grouping], receiver) as server:
        with metered(server.pid) as cpu:
            run = send_batches(lambda: poster(server), bodies, threads)
            got = tally(receiver, _alert_ids, len(events), 4 * window_s + (120.0 if not run.errors else 5.0))
            receiver.quiet_for(window_s + 3.0, 4 * window_s + 60.0)
        arrivals = receiver.arrivals()
    per_group: dict[str, int] = {}
    for a in arrivals:
        key = "instance=" + str((a.body or {}).get("groupLabels", {}).get("instance"))
        per_group[key] = per_group.get(key, 0) + 1
    covered = sum(len(_alert_ids(a.body)) for a in arrivals)
    return merge_json(server.name, len(events), run, arrivals, per_group, covered, got) | {
        "merge": f"group_by [instance], group_wait {window}, group_interval {window}",
        "cpu": cpu_json(cpu),
    }
