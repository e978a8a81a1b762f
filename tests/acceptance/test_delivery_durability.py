"""Durable delivery on the real ``vigil serve``: a kill -9 in the middle of a delivery storm loses
no notification, and after the restart every one is delivered and recorded exactly once."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

from tests.acceptance.test_startup_contract import Served, _env, served, served_clients  # noqa: F401
from vigil.alerting.deliveries import CLAIM
from vigil.client import VigilClient
from vigil.events.catalog import CATALOG
from vigil.testing import LocalReceiver, Reply

AK, SECRET = "LTAIdurable00000000001", "durable-secret-abcdefghij"
CMS = "2019-01-01"
EVENTS = 300
BATCH = 10


def kafka_events(first: int, count: int) -> list[dict[str, object]]:
    template = CATALOG["Instance:Risk"].example
    events = []
    for n in range(first, first + count):
        event = copy.deepcopy(template)
        event["instanceName"] = f"alikafka-storm-{n:04d}"
        event["resourceId"] = f"acs:alikafka:cn-hangzhou:1:instance/alikafka-storm-{n:04d}"
        events.append(event)
    return events


def configure(client: VigilClient, url: str) -> None:
    client.call(
        "PutEventRule",
        {"RuleName": "storm", "EventType": "SYSTEM", "SilenceTime": "0", "EventPattern.1.Product": "Kafka"},
        version=CMS,
    )
    client.call(
        "PutEventRuleTargets",
        {
            "RuleName": "storm",
            "WebhookParameters.1.Id": "1",
            "WebhookParameters.1.Protocol": "http",
            "WebhookParameters.1.Method": "POST",
            "WebhookParameters.1.Url": url,
        },
        version=CMS,
    )


def kill9_with_workers(server: Served) -> None:
    """SIGKILL the worker processes and the parent at once: no graceful shutdown anywhere."""
    pid = server.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    server.kill9()


def stored_records(data_dir: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(data_dir / "vigil.db") as db:
        return db.execute("SELECT record_id, status, attempts FROM notification_records").fetchall()


def test_a_kill_9_during_a_delivery_storm_loses_and_repeats_nothing(
    tmp_path: Path,
    served: list[Served],  # noqa: F811
    served_clients: list[VigilClient],  # noqa: F811
) -> None:
    env = _env(
        VIGIL_ROOT_ACCESS_KEY_ID=AK,
        VIGIL_ROOT_ACCESS_KEY_SECRET=SECRET,
        VIGIL_DELIVERY_LEASE_SECONDS="2",
        VIGIL_DELIVERY_BACKOFF_SECONDS="0.2",
    )
    slow = Reply(hold=threading.Event())  # never set: every answer waits hold_timeout_s
    with LocalReceiver(default=slow, hold_timeout_s=0.1) as receiver:
        server = Served(tmp_path / "d", env, "--workers", "2")
        served.append(server)
        client = VigilClient(server.url, AK, SECRET)
        served_clients.append(client)
        configure(client, receiver.url)
        for first in range(0, EVENTS, BATCH):
            client.vigil(
                "PutSystemEvents", {"Product": "Kafka", "Events": json.dumps(kafka_events(first, BATCH))}
            )
        receiver.wait_for(40, timeout_s=30)
        kill9_with_workers(server)
        at_kill = len(receiver.requests)
        assert at_kill < EVENTS / 2, "the storm must still be going when the server dies"

        restarted = Served(tmp_path / "d", env, "--workers", "2")
        served.append(restarted)
        deadline = time.monotonic() + 60
        while len({r.headers["x-vigil-delivery"] for r in receiver.requests}) < EVENTS:
            assert time.monotonic() < deadline, f"only {len(receiver.requests)} deliveries after the restart"
            time.sleep(0.1)
        time.sleep(0.5)  # nothing more may arrive
        restarted.stop()

    received = Counter(r.headers["x-vigil-delivery"] for r in receiver.requests)
    records = stored_records(tmp_path / "d")
    assert len(records) == EVENTS, "every acknowledged event has exactly one delivery record"
    assert {status for _, status, _ in records} == {"SUCCESS"}
    assert set(received) == {record_id for record_id, _, _ in records}
    repeated = {delivery: n for delivery, n in received.items() if n > 1}
    # Only a send in flight at the kill (answered, but its outcome not yet written) may arrive
    # twice, and then with the same delivery id, so the receiver can tell: at most what two
    # workers had leased, each with two passes (the worker thread and the sweep job) of CLAIM.
    assert len(repeated) <= 2 * 2 * CLAIM, repeated
    assert all(n == 2 for n in repeated.values())
    names = {json.loads(r.body)["instanceName"] for r in receiver.requests}
    assert names == {f"alikafka-storm-{n:04d}" for n in range(EVENTS)}
