"""Vigil's side of the alerting benchmark: ``vigil serve`` on SQLite in a fresh data dir, CMS event
rules and webhook targets put with the official CMS SDK, events raised by the KMS SDK
(ScheduleKeyDeletion) or published in batches (the Vigil operation PutSystemEvents), and a
subscription that merges events (PutSubscription).

Each measurement starts its own server, so none inherits another's events, rules or queue.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from alerting_load import Send, paced, send_batches
from alerting_receiver import WebhookReceiver, tally
from alerting_results import cpu_json, latency_json, merge_json, throughput_json
from alerting_workload import KAFKA, LATENCY_EVENT, REGION, RuleSpec, batches, matching
from cpu_shares import metered
from events_queries import cms_client
from events_stream import kms_client
from processes import Child, free_port, spawn, venv_command, wait_ready

from vigil.client import VIGIL, VigilClient, acs3_headers

ROUTES_CACHED_S = 1.5
"""Each worker caches an account's rules and subscriptions for a second (VIGIL_CACHE_TTL_SECONDS)."""
DRAIN_TIMEOUT_S = 300.0
SUBSCRIPTION = "merge-by-instance"
FORM = "application/x-www-form-urlencoded"
Body = tuple[bytes, int]
"""A batch of events as a form body, and how many it holds."""


class VigilServer:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.name = f"Vigil ({workers} worker{'s' if workers > 1 else ''})"
        self.access_key_id = "BenchRoot" + secrets.token_hex(8)
        self.secret = secrets.token_urlsafe(24)
        self._child: Child | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._child is not None, "not started"
        return self._child.pid

    @contextmanager
    def running(self, workdir: Path) -> Iterator[VigilServer]:
        """A fresh server on SQLite in ``workdir``, stopped when the block ends."""
        workdir.mkdir(parents=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")} | {
            "VIGIL_ROOT_ACCESS_KEY_ID": self.access_key_id,
            "VIGIL_ROOT_ACCESS_KEY_SECRET": self.secret,
            "VIGIL_REGION": REGION,
        }
        argv = [venv_command("vigil"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--data-dir", str(workdir / "data"), "--workers", str(self.workers)]
        self._child = spawn("vigil", argv, workdir, env)
        try:
            wait_ready(self._child, f"{self.url}/healthz")
            yield self
        finally:
            self._child.stop()

    def client(self) -> VigilClient:
        return VigilClient(self.url, self.access_key_id, self.secret)

    def cms(self) -> Any:
        return cms_client(self.port, self.access_key_id, self.secret, REGION)

    def kms(self) -> Any:
        return kms_client(self.port, self.access_key_id, self.secret, REGION)

    def publisher(self) -> Send[Body]:
        """One connection's PutSystemEvents with Events in a form body, as the SDKs send a body
        parameter (VigilClient puts every parameter in the URL, and httpx refuses URLs over 64 KiB,
        about 60 Kafka events); raises unless every event of the batch was stored."""
        http = httpx.Client(base_url=self.url, timeout=60)
        host, query = f"127.0.0.1:{self.port}", {"Product": KAFKA}

        def send(body: Body) -> None:
            form, count = body
            headers = acs3_headers(
                "POST", host, query, "PutSystemEvents", VIGIL, self.access_key_id, self.secret,
                body=form, content_type=FORM,
            )  # fmt: skip
            answer = http.post("/?" + urlencode(query), content=form, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"PutSystemEvents: HTTP {answer.status_code} {answer.text[:200]}")
            stored = len(answer.json()["EventIds"]["EventId"])
            if stored != count:
                raise RuntimeError(f"PutSystemEvents stored {stored} of {count} events")

        return send


def _bodies(events: Sequence[dict[str, Any]], size: int) -> list[Body]:
    """Each batch as the form body ``Events=<JSON list>``, encoded before the clock starts."""
    return [
        (urlencode({"Events": json.dumps(b, separators=(",", ":"))}).encode(), len(b))
        for b in batches(events, size)
    ]


def put_rule(cms: Any, name: str, pattern: dict[str, Any], url: str) -> None:
    """An enabled SYSTEM rule without silence time, and its one webhook target."""
    from alibabacloud_cms20190101 import models as m

    cms.put_event_rule(
        m.PutEventRuleRequest(
            rule_name=name,
            event_type="SYSTEM",
            state="ENABLED",
            silence_time=0,
            event_pattern=[m.PutEventRuleRequestEventPattern(**pattern)],
        )
    )
    hook = m.PutEventRuleTargetsRequestWebhookParameters(id="1", protocol="http", method="POST", url=url)
    cms.put_event_rule_targets(m.PutEventRuleTargetsRequest(rule_name=name, webhook_parameters=[hook]))


def put_rules(cms: Any, specs: Sequence[RuleSpec], url: str) -> None:
    for spec in specs:
        pattern: dict[str, Any] = {"product": spec.product, "name_list": [spec.event_name]}
        if spec.instance:
            pattern["custom_filters"] = spec.instance  # a keyword the event's text must contain
        put_rule(cms, spec.name, pattern, url)


def throughput(
    server: VigilServer,
    workdir: Path,
    events: Sequence[dict[str, Any]],
    specs: Sequence[RuleSpec],
    batch: int,
    threads: int,
    warmup_batches: int,
    label: str | None = None,
) -> dict[str, Any]:
    """Publish ``events`` in batches while ``specs`` are configured, the first ``warmup_batches``
    unmeasured; then wait for every notification owed. ``label`` names the row (default: the server)."""
    bodies = _bodies(events, batch)
    owed = matching(events, specs)
    measured = len(events) - min(len(events), warmup_batches * batch)
    with WebhookReceiver() as receiver, server.running(workdir):
        put_rules(server.cms(), specs, receiver.url("rules"))
        time.sleep(ROUTES_CACHED_S)
        send_batches(server.publisher, bodies[:warmup_batches], threads)
        with metered(server.pid) as cpu:
            run = send_batches(server.publisher, bodies[warmup_batches:], threads)
        with metered(server.pid) as drain_cpu:
            got = tally(receiver, lambda body: [body["id"]], owed, DRAIN_TIMEOUT_S if not run.errors else 5.0)
            receiver.quiet_for(1.0, 10.0)
        received = len(receiver.arrivals())
    return throughput_json(label or server.name, measured, batch, run, owed, got, received) | {
        "warmup_events": len(events) - measured,
        "threads": threads,
        "rules": len(specs),
        "cpu": cpu_json(cpu),
        "drain_cpu": cpu_json(drain_cpu),
    }


def latency(
    server: VigilServer, workdir: Path, specs: Sequence[RuleSpec], count: int, warmup: int, interval_s: float
) -> dict[str, Any]:
    """ScheduleKeyDeletion through the KMS SDK, paced, with ``specs`` configured too; each timed from
    the call's start to the receipt of its event (matched on content.keyId) by the rule's webhook."""
    from alibabacloud_kms20160120 import models as kms_models

    with WebhookReceiver() as receiver, server.running(workdir):
        cms, kms = server.cms(), server.kms()
        put_rules(cms, specs, receiver.url("rules"))
        put_rule(
            cms, "key-deletion", {"product": "KMS", "name_list": [LATENCY_EVENT]}, receiver.url("latency")
        )
        create = kms_models.CreateKeyRequest(
            description="bench", key_spec="Aliyun_AES_256", key_usage="ENCRYPT/DECRYPT"
        )
        keys = [kms.create_key(create).body.key_metadata.key_id for _ in range(warmup + count)]
        time.sleep(ROUTES_CACHED_S)

        def trigger(i: int) -> None:
            request = kms_models.ScheduleKeyDeletionRequest(key_id=keys[i], pending_window_in_days=7)
            kms.schedule_key_deletion(request)

        with metered(server.pid) as cpu:
            calls = paced(trigger, len(keys), interval_s)
            got = tally(receiver, lambda body: [body["content"]["keyId"]], len(keys), 15.0)
        arrived = {a.body["content"]["keyId"]: a.at for a in reversed(receiver.arrivals("/latency"))}
    return latency_json(server.name, keys, calls, arrived, warmup, got) | {
        "interval_ms": interval_s * 1000,
        "rules": len(specs) + 1,
        "cpu": cpu_json(cpu),
    }


def merge(
    server: VigilServer,
    workdir: Path,
    events: Sequence[dict[str, Any]],
    window_s: int,
    batch: int,
    threads: int,
) -> dict[str, Any]:
    """A subscription merging Kafka events by instanceName within ``window_s``; count what it sends."""
    bodies = _bodies(events, batch)
    with WebhookReceiver() as receiver, server.running(workdir):
        with server.client() as client:
            client.vigil(
                "PutSubscription",
                {
                    "Name": SUBSCRIPTION,
                    "EventPattern": [{"Product": KAFKA}],
                    "Targets": [
                        {"Id": "1", "Type": "webhook", "Url": receiver.url("merged"), "Method": "POST"}
                    ],
                    "Merge": {"Fields": ["instanceName"], "WindowSeconds": window_s},
                },
            )
        time.sleep(ROUTES_CACHED_S)
        with metered(server.pid) as cpu:
            run = send_batches(server.publisher, bodies, threads)
            got = tally(
                receiver, _merged_items, len(events), 4 * window_s + (120.0 if not run.errors else 5.0)
            )
            receiver.quiet_for(window_s + 3.0, 4 * window_s + 60.0)
        arrivals = receiver.arrivals()
    per_group: dict[str, int] = {}
    for a in arrivals:
        key = str(a.body.get("groupKey", "(not merged)")) if isinstance(a.body, dict) else "(not JSON)"
        per_group[key] = per_group.get(key, 0) + 1
    covered = sum(int(a.body.get("count", 1)) for a in arrivals if isinstance(a.body, dict))
    return merge_json(server.name, len(events), run, arrivals, per_group, covered, got) | {
        "merge": f"PutSubscription Merge Fields [instanceName], WindowSeconds {window_s}",
        "cpu": cpu_json(cpu),
    }


def _merged_items(body: Any) -> list[str]:
    """A merged notification stands for ``count`` events; it is named by its first event."""
    if not isinstance(body, dict) or not body.get("merged"):
        return [str(body.get("id")) if isinstance(body, dict) else "?"]
    first = body["events"][0]["id"]
    return [f"{first}#{n}" for n in range(int(body["count"]))]
