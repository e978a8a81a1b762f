"""Subscriptions as timelines on the test clock: merge windows, noise thresholds, duplicate
suppression, a recurring maintenance window and escalation, each against a real receiver."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import RunningServer
from vigil.client import VigilClient
from vigil.events.catalog import CATALOG
from vigil.testing import LocalReceiver

CMS = "2019-01-01"


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    with LocalReceiver() as r:
        yield r


def subscribe(client: VigilClient, name: str, url: str, **policy: Any) -> None:
    params: dict[str, Any] = {
        "Name": name,
        "EventPattern": json.dumps([{"Product": "Kafka", "NameList": ["Instance:Risk"]}]),
        "Targets": json.dumps([{"Id": "1", "Type": "webhook", "Url": url, "Method": "POST"}]),
    }
    params.update({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in policy.items()})
    client.vigil("PutSubscription", params)


def publish(client: VigilClient, *instances: str, risk: str = "high") -> None:
    events = []
    for instance in instances:
        event = copy.deepcopy(CATALOG["Instance:Risk"].example)
        event["instanceName"] = event["content"]["instanceName"] = instance
        event["resourceId"] = f"acs:alikafka:cn-hangzhou:1:instance/{instance}"
        event["content"]["riskData"][0]["value"] = "298.0" if risk == "high" else "1.0"
        events.append(event)
    client.vigil("PutSystemEvents", {"Product": "Kafka", "Events": json.dumps(events)})


def quiet(receiver: LocalReceiver, expected: int, settle_s: float = 0.4) -> list[Any]:
    """The requests once ``expected`` arrived and nothing more came for ``settle_s``."""
    if expected:
        receiver.wait_for(expected, timeout_s=5)
    time.sleep(settle_s)
    found = receiver.requests
    assert len(found) == expected, [r.json() for r in found]
    return [r.json() for r in found]


def test_a_merge_window_turns_a_burst_into_one_notification_per_group(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    client = server.client()
    subscribe(client, "merged", receiver.url, Merge={"Fields": ["instanceName"], "WindowSeconds": 60})
    publish(client, *["alikafka-a"] * 5, *["alikafka-b"] * 3)
    quiet(receiver, 0)
    server.advance(30)
    publish(client, "alikafka-a")
    quiet(receiver, 0)
    server.advance(31)
    bodies = quiet(receiver, 2)
    counts = {b["events"][0]["instanceName"]: b["count"] for b in bodies}
    assert counts == {"alikafka-a": 6, "alikafka-b": 3}
    assert all(b["merged"] and len(b["events"]) == b["count"] for b in bodies)
    publish(client, "alikafka-a")  # a new window opens after the flush
    server.advance(61)
    assert quiet(receiver, 3)[2]["count"] == 1


def test_a_noise_threshold_waits_for_enough_events_in_the_window(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    client = server.client()
    subscribe(client, "noisy", receiver.url, Noise={"MinCount": 3, "WindowSeconds": 60})
    publish(client, "alikafka-a", "alikafka-a")
    quiet(receiver, 0)
    server.advance(30)
    publish(client, "alikafka-b")  # another group key (name + resource) does not count
    quiet(receiver, 0)
    publish(client, "alikafka-a")
    quiet(receiver, 1)
    server.advance(120)  # the earlier events fall out of the window; the count restarted anyway
    publish(client, "alikafka-a", "alikafka-a")
    quiet(receiver, 1)


def test_duplicates_are_suppressed_within_the_dedup_window(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    client = server.client()
    subscribe(client, "dedup", receiver.url, DedupSeconds=300)
    publish(client, "alikafka-a")
    publish(client, "alikafka-a")
    quiet(receiver, 1)
    publish(client, "alikafka-a", risk="low")  # different content: not a duplicate
    quiet(receiver, 2)
    server.advance(301)
    publish(client, "alikafka-a")
    quiet(receiver, 3)


def test_a_recurring_maintenance_window_mutes_only_inside_its_hours(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    client = server.client()
    subscribe(client, "maintained", receiver.url)
    now = datetime.fromtimestamp(server.app.services.clock.now_ms() / 1000, UTC)
    start = f"{now.hour:02d}:{now.minute:02d}"
    client.vigil(
        "CreateSilence",
        {
            "Matchers": json.dumps([{"field": "instanceName", "op": "=~", "value": "alikafka-.*"}]),
            "DurationSeconds": 14 * 86_400,
            "Recurrence": json.dumps(
                {
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "start": start,
                    "duration_minutes": 60,
                }
            ),
            "Author": "ops",
            "Comment": "nightly broker maintenance",
        },
    )
    [silence] = client.vigil("ListSilences")["Silences"]
    assert (silence["Author"], silence["State"]) == ("ops", "active")
    publish(client, "alikafka-a")
    quiet(receiver, 0)
    server.advance(2 * 3600)  # outside today's window
    publish(client, "alikafka-a")
    quiet(receiver, 1)
    server.advance(22 * 3600 + 600)  # inside tomorrow's window
    publish(client, "alikafka-b")
    quiet(receiver, 1)
    client.vigil("ExpireSilence", {"SilenceId": silence["SilenceId"]})
    publish(client, "alikafka-c")
    quiet(receiver, 2)


def test_an_unacknowledged_notification_escalates_to_the_next_contact_group(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    client = server.client()
    with LocalReceiver() as second_line:
        client.call(
            "PutContact",
            {"ContactName": "carol", "Channels.DingWebHook": second_line.url, "Describe": "second line"},
            version=CMS,
        )
        client.call("PutContactGroup", {"ContactGroupName": "l2", "ContactNames.1": "carol"}, version=CMS)
        subscribe(client, "paged", receiver.url, Escalation=[{"ContactGroup": "l2", "AfterSeconds": 600}])
        publish(client, "alikafka-a")
        quiet(receiver, 1)
        server.advance(601)
        [chat] = second_line.wait_for(1)
        assert "alikafka-a" in chat.body.decode()
        publish(client, "alikafka-b")
        quiet(receiver, 2)
        [latest, _] = client.vigil("ListNotifications", {"State": "FIRING"})["Notifications"]
        client.vigil(
            "AcknowledgeNotification", {"NotificationId": latest["NotificationId"], "Comment": "on it"}
        )
        server.advance(601)
        time.sleep(0.4)
        assert len(second_line.requests) == 1, "an acknowledged notification does not escalate"
        [acked] = client.vigil("ListNotifications", {"State": "ACKNOWLEDGED"})["Notifications"]
        assert acked["AckComment"] == "on it"
