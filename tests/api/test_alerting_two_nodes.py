"""Two Vigil servers on one PostgreSQL database share the outbox and the delivery records: every
notification is delivered once, whichever node raised its event and whichever node sends it."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import Counter

import pytest

from tests.conftest import ServerFactory
from vigil.events.catalog import CATALOG
from vigil.testing import LocalReceiver, Reply

CMS = "2019-01-01"
PER_NODE = 60


def storm(first: int) -> list[dict[str, object]]:
    events = []
    for n in range(first, first + PER_NODE):
        event = copy.deepcopy(CATALOG["Instance:Risk"].example)
        event["instanceName"] = f"alikafka-node-{n:04d}"
        events.append(event)
    return events


def test_two_nodes_on_one_postgresql_never_deliver_a_notification_twice(
    backend: str, start_server: ServerFactory, tmp_path: object
) -> None:
    if backend != "postgresql":
        pytest.skip("two nodes share a database only on PostgreSQL")
    first = start_server(data_dir=tmp_path / "shared")  # type: ignore[operator]
    second = start_server(data_dir=tmp_path / "shared")  # type: ignore[operator]
    slow = Reply(hold=threading.Event())
    with LocalReceiver(default=slow, hold_timeout_s=0.02) as receiver:
        client = first.client()
        client.call(
            "PutEventRule",
            {
                "RuleName": "nodes",
                "EventType": "SYSTEM",
                "SilenceTime": "0",
                "EventPattern.1.Product": "Kafka",
            },
            version=CMS,
        )
        client.call(
            "PutEventRuleTargets",
            {"RuleName": "nodes", "WebhookParameters.1.Id": "1", "WebhookParameters.1.Url": receiver.url},
            version=CMS,
        )
        time.sleep(1.1)  # the second node's cached routes expire (1 s)
        for node, start in ((first, 0), (second, PER_NODE)):
            for offset in range(0, PER_NODE, 10):
                batch = storm(start)[offset : offset + 10]
                node.client().vigil("PutSystemEvents", {"Product": "Kafka", "Events": json.dumps(batch)})
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 2 * PER_NODE and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
    received = Counter(r.headers["x-vigil-delivery"] for r in receiver.requests)
    assert len(received) == 2 * PER_NODE
    assert max(received.values()) == 1, "a notification was delivered twice"
