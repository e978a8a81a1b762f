"""How the alerting worker paces itself: a burst of events is dispatched in bulk once the burst
pauses (every notification still sent once), while an event after a quiet spell goes out at once."""

from __future__ import annotations

import json
import threading
import time

from tests.acceptance.test_delivery_durability import configure, kafka_events
from tests.conftest import RunningServer, ServerFactory
from vigil.alerting.worker import Coalescing
from vigil.testing import LocalReceiver

BATCHES = 12
PER_BATCH = 50


def _publish(server: RunningServer, first: int, count: int) -> None:
    answer = server.client().vigil(
        "PutSystemEvents", {"Product": "Kafka", "Events": json.dumps(kafka_events(first, count))}
    )
    assert len(answer["EventIds"]["EventId"]) == count


def _instances(received: list[object]) -> list[str]:
    return [r.json()["instanceName"] for r in received]  # type: ignore[attr-defined]


def test_a_burst_is_dispatched_in_bulk_and_every_notification_arrives_once(
    start_server: ServerFactory,
) -> None:
    server = start_server()
    worker = server.app.services.alerting.worker
    with LocalReceiver() as receiver:
        configure(server.client(), receiver.url)
        time.sleep(1.1)  # past the rule cache of the default server (1 s)
        publishers = [
            threading.Thread(target=_publish, args=(server, n * PER_BATCH * 2 + side * PER_BATCH, PER_BATCH))
            for side in (0, 1)
            for n in range(BATCHES // 2)
        ]
        for p in publishers:
            p.start()
        for p in publishers:
            p.join()
        received = receiver.wait_for(BATCHES * PER_BATCH, timeout_s=30)
        time.sleep(0.3)  # nothing more may come
        sent = _instances(receiver.requests)
    assert len(received) == BATCHES * PER_BATCH
    assert len(sent) == len(set(sent)) == BATCHES * PER_BATCH
    assert worker.coalesced_passes >= 1, "the burst never made a pass wait for a lull"


def test_an_event_after_a_quiet_spell_is_not_held_for_a_lull(start_server: ServerFactory) -> None:
    server = start_server()
    worker = server.app.services.alerting.worker
    with LocalReceiver() as receiver:
        configure(server.client(), receiver.url)
        time.sleep(1.1)
        _publish(server, 0, 200)  # one pass takes all 200: a burst
        receiver.wait_for(200, timeout_s=30)
        time.sleep(Coalescing().max_wait_s + 0.2)  # the quiet spell
        before = worker.coalesced_passes
        _publish(server, 1000, 1)
        receiver.wait_for(201, timeout_s=10)
    assert worker.coalesced_passes == before
