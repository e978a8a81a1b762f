"""Vigil's alerting operations (2026-11-01) through a real server: subscriptions and their validation,
KMS events caused through the official SDK reaching a real local receiver, silences (one-off and
weekly windows on the test clock), dry runs, test notifications, records, acknowledgement,
escalation, merging and noise thresholds."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alibabacloud_kms20160120 import models

from tests.conftest import RunningServer
from vigil.client import VigilApiError, VigilClient
from vigil.testing import LocalReceiver, Reply

SCHEDULED = "Key:DeleteKey:ScheduleDeletion"
ROTATION_FAILED = "Secret:RotateSecret:Failure"


@pytest.fixture
def vigil(server: RunningServer) -> VigilClient:
    return server.client()


@pytest.fixture
def hook() -> Any:
    with LocalReceiver() as receiver:
        yield receiver


def subscribe(vigil: VigilClient, url: str, name: str = "key-deletions", **extra: Any) -> dict[str, Any]:
    params = {
        "Name": name,
        "EventPattern": [{"Product": "KMS", "NameList": [SCHEDULED]}],
        "Targets": [{"Id": "hook", "Type": "webhook", "Url": url}],
        **extra,
    }
    return dict(vigil.vigil("PutSubscription", params)["Subscription"])


def schedule_deletion(server: RunningServer) -> str:
    """A new key scheduled for deletion through the official KMS SDK; its event is raised by Vigil."""
    kms = server.kms()
    key_id = str(kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id)
    kms.schedule_key_deletion(models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    return key_id


def records(vigil: VigilClient, **filters: Any) -> list[dict[str, Any]]:
    return list(vigil.vigil("ListNotificationRecords", filters)["Records"])


def settled(vigil: VigilClient, count: int = 1, **filters: Any) -> list[dict[str, Any]]:
    """The records once ``count`` exist and each has had its first attempt: the server's alerting
    worker delivers in the background, so an answer may land just after the call that caused it."""
    deadline = time.monotonic() + 10
    while True:
        found = records(vigil, **filters)
        if len(found) >= count and all(r["Attempts"] or r["Status"] != "PENDING" for r in found):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.02)


def drill(vigil: VigilClient, name: str = ROTATION_FAILED) -> None:
    """A catalog event raised as a CMS fire drill (the same example content each time)."""
    vigil.call("SendDryRunSystemEvent", {"Product": "KMS", "EventName": name}, version="2019-01-01")


def refused(call: Any) -> VigilApiError:
    with pytest.raises(VigilApiError) as caught:
        call()
    return caught.value


# -- subscriptions ---------------------------------------------------------------------------


def test_a_subscription_is_created_described_listed_replaced_and_deleted(vigil: VigilClient) -> None:
    made = subscribe(
        vigil,
        "https://hooks.example.com/kms",
        Description="key deletions",
        Merge={"Fields": ["name"], "WindowSeconds": 300},
        Noise={"MinCount": 3, "WindowSeconds": 600},
        DedupSeconds=3600,
        Escalation=[{"ContactGroup": "oncall", "AfterSeconds": 900}],
    )
    assert made["Targets"] == [{"Id": "hook", "Type": "webhook", "Url": "https://hooks.example.com/kms"}]
    assert made["EventPattern"][0]["NameList"] == [SCHEDULED]
    assert (made["Merge"], made["Noise"], made["DedupSeconds"]) == (
        {"Fields": ["name"], "WindowSeconds": 300},
        {"MinCount": 3, "WindowSeconds": 600},
        3600,
    )
    assert vigil.vigil("DescribeSubscription", {"Name": "key-deletions"})["Subscription"] == made

    replaced = subscribe(vigil, "https://hooks.example.com/v2", State="DISABLED")
    assert replaced["SubscriptionId"] == made["SubscriptionId"]
    assert replaced["CreatedAt"] == made["CreatedAt"]
    assert (replaced["State"], replaced["Merge"], replaced["Escalation"]) == ("DISABLED", None, [])
    assert [s["Name"] for s in vigil.vigil("ListSubscriptions")["Subscriptions"]] == ["key-deletions"]

    vigil.vigil("DeleteSubscription", {"Name": "key-deletions"})
    assert vigil.vigil("ListSubscriptions")["Subscriptions"] == []
    gone = refused(lambda: vigil.vigil("DescribeSubscription", {"Name": "key-deletions"}))
    assert (gone.status, gone.code) == (404, "SubscriptionNotFound")


HOOK = {"Id": "a", "Type": "webhook", "Url": "https://h.example.com/"}
BAD_SUBSCRIPTIONS = [
    ({"Name": "has space"}, "Name must be 1-64 letters"),
    ({"Targets": None}, "Targets is mandatory"),
    ({"Targets": []}, "Targets must list 1-20 targets"),
    ({"Targets": "{}"}, "Targets must be a JSON list"),
    ({"Targets": [{"Id": "a", "Type": "sms"}]}, "Targets[1].Type must be one of"),
    ({"Targets": [{"Type": "webhook", "Url": "https://h/"}]}, "Targets[1].Id is mandatory"),
    ({"Targets": [{"Id": "a", "Type": "webhook"}]}, "Targets[1].Url is mandatory for a webhook target"),
    ({"Targets": [{"Id": "a", "Type": "webhook", "Url": "ftp://h/"}]}, "Targets[1]: the url scheme"),
    ({"Targets": [{**HOOK, "Method": "PUT"}]}, "Targets[1]: the method must be POST or GET"),
    ({"Targets": [{**HOOK, "ContactGroupName": "x"}]}, "Targets[1] has an unknown field 'ContactGroupName'"),
    ({"Targets": [{"Id": "q", "Type": "queue"}]}, "Targets[1] needs a Queue"),
    ({"Targets": [{"Id": "l", "Type": "log", "Project": "p"}]}, "Targets[1].LogStore is mandatory"),
    ({"Targets": [HOOK, {**HOOK, "Url": "https://other/"}]}, "the target id 'a' is used twice"),
    ({"State": "PAUSED"}, "State must be ENABLED or DISABLED"),
    ({"EventPattern": {"Product": "KMS"}}, "EventPattern must be a JSON list"),
    ({"EventPattern": [{"Products": "KMS"}]}, "EventPattern[1] has an unknown field 'Products'"),
    ({"EventPattern": [{"NameList": "x"}]}, "EventPattern[1].NameList must be a list of non-empty strings"),
    ({"EventPattern": [{"SQLFilter": "a ="}]}, "EventPattern[1].SQLFilter: column 4"),
    ({"Merge": {"Fields": [], "WindowSeconds": 60}}, "Merge.Fields must list 1-8 event fields"),
    ({"Merge": {"Fields": ["name", ""], "WindowSeconds": 60}}, "Merge.Fields must be a list of non-empty"),
    ({"Merge": {"Fields": ["name"], "WindowSeconds": 0}}, "Merge.WindowSeconds must be 1-604800 seconds"),
    ({"Merge": {"Fields": ["name"]}}, "Merge.WindowSeconds is mandatory"),
    ({"Noise": {"MinCount": 0, "WindowSeconds": 60}}, "Noise.MinCount must be 1-10000"),
    ({"Noise": {"MinCount": 2, "WindowSeconds": "60"}}, "Noise.WindowSeconds must be a whole number"),
    ({"DedupSeconds": 999_999_999}, "DedupSeconds must be 1-604800 seconds"),
    ({"Escalation": [{"ContactGroup": "ops"}]}, "Escalation[1].AfterSeconds is mandatory"),
    ({"Escalation": [{"AfterSeconds": 60}]}, "Escalation[1].ContactGroup is mandatory"),
]


@pytest.mark.parametrize(
    ("override", "message"), BAD_SUBSCRIPTIONS, ids=[m.split(" ")[0] for _, m in BAD_SUBSCRIPTIONS]
)
def test_put_subscription_refuses_bad_parameters_by_name(
    vigil: VigilClient, override: dict[str, Any], message: str
) -> None:
    params = {"Name": "subs", "Targets": [HOOK], **override}
    error = refused(lambda: vigil.vigil("PutSubscription", params))
    assert error.status == 400 and error.code.startswith(("InvalidParameter", "MissingParameter"))
    assert message in error.message
    assert vigil.vigil("ListSubscriptions")["Subscriptions"] == []


# -- delivery ----------------------------------------------------------------------------------


def test_a_scheduled_key_deletion_reaches_the_subscribed_webhook_and_is_recorded(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    subscribe(vigil, hook.url)
    key_id = schedule_deletion(server)
    server.advance(0)
    [request] = hook.wait_for(1)
    payload = request.json()
    assert (payload["name"], payload["content"]["keyId"], "drill" in payload) == (SCHEDULED, key_id, False)
    assert request.headers["x-vigil-signature"].startswith("v1=")

    [record] = settled(vigil, RuleName="key-deletions")
    assert (record["Status"], record["Attempts"], record["Reason"], record["LastError"]) == (
        "SUCCESS",
        1,
        "none",
        "",
    )
    assert (record["SourceKind"], record["TargetId"], record["Channel"]) == (
        "subscription",
        "hook",
        "webhook",
    )
    assert record["TargetName"] == hook.url.removesuffix("/hook")  # the origin only
    assert record["ResourceId"].endswith(f"key/{key_id}") and record["LatencyMs"] >= 0
    assert "Address" not in record and record["Content"]["id"] == payload["id"]
    assert records(vigil, Resource=record["ResourceId"]) == [record]
    assert records(vigil, EventName=ROTATION_FAILED) == records(vigil, Status="FAIL") == []


def test_a_failing_webhook_is_retried_after_its_backoff_on_the_test_clock(
    server: RunningServer, vigil: VigilClient
) -> None:
    with LocalReceiver(Reply(503)) as flaky:
        subscribe(vigil, flaky.url)
        schedule_deletion(server)
        server.advance(0)
        [record] = settled(vigil)
        assert (record["Status"], record["Attempts"], record["Reason"]) == ("PENDING", 1, "http_status")
        assert "answered HTTP 503" in record["LastError"]
        assert record["NextAttemptAt"] > record["UpdatedAt"]
        server.advance(60)
        flaky.wait_for(2)
        deadline = time.monotonic() + 10
        while (record := records(vigil)[0])["Status"] == "PENDING" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (record["Status"], record["Attempts"]) == ("SUCCESS", 2)


# -- silences --------------------------------------------------------------------------------


def subscribe_to_both(vigil: VigilClient, url: str) -> None:
    """Key deletions, and rotation failures, whose drills serve as the control of a muted event."""
    subscribe(vigil, url, EventPattern=[{"NameList": [SCHEDULED, ROTATION_FAILED]}])


def test_a_silence_mutes_the_subscription_until_it_is_expired(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    subscribe_to_both(vigil, hook.url)
    matchers = [
        {"field": "name", "op": "=", "value": SCHEDULED},
        {"field": "keyId", "op": "=~", "value": "key-.*"},
    ]
    silence = vigil.vigil(
        "CreateSilence", {"Matchers": matchers, "DurationSeconds": 7200, "Comment": "key cleanup"}
    )["Silence"]
    assert (silence["State"], silence["Author"], silence["Matchers"]) == ("active", "root", matchers)
    assert silence["EndsAt"] - silence["StartsAt"] == 7_200_000

    schedule_deletion(server)
    drill(vigil)  # not muted; dispatched after the muted event
    server.advance(0)
    [request] = hook.wait_for(1)
    assert request.json()["name"] == ROTATION_FAILED
    assert [r["EventName"] for r in settled(vigil)] == [ROTATION_FAILED]
    assert [s["SilenceId"] for s in vigil.vigil("ListSilences")["Silences"]] == [silence["SilenceId"]]

    expired = vigil.vigil("ExpireSilence", {"SilenceId": silence["SilenceId"]})["Silence"]
    assert expired["State"] == "expired"
    assert vigil.vigil("ListSilences")["Silences"] == []
    assert len(vigil.vigil("ListSilences", {"IncludeExpired": True})["Silences"]) == 1
    key_id = schedule_deletion(server)
    server.advance(0)
    assert hook.wait_for(2)[1].json()["content"]["keyId"] == key_id


def test_a_silence_runs_out_at_its_end_on_the_test_clock(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    subscribe(vigil, hook.url)
    matchers = [{"field": "name", "op": "=", "value": SCHEDULED}]
    vigil.vigil("CreateSilence", {"Matchers": matchers, "DurationSeconds": 3600, "Comment": "window"})
    server.advance(3601)
    schedule_deletion(server)
    server.advance(0)
    assert len(hook.wait_for(1)) == 1


def _route(vigil: VigilClient, event: dict[str, Any], name: str = "key-deletions") -> dict[str, Any]:
    routes = vigil.vigil("TestEventRouting", {"Event": event})["Routes"]
    return dict({r["Name"]: r for r in routes}[name])


def test_a_weekly_silence_mutes_only_inside_its_window(vigil: VigilClient, server: RunningServer) -> None:
    subscribe(vigil, "https://hooks.example.com/kms")
    now = datetime.fromtimestamp(vigil.vigil("GetClock")["NowMs"] / 1000, UTC)
    opens = (now + timedelta(hours=1)).replace(second=0, microsecond=0)
    recurrence = {
        "days": [opens.strftime("%a").lower()],
        "start": opens.strftime("%H:%M"),
        "duration_minutes": 30,
    }
    silence = vigil.vigil(
        "CreateSilence",
        {
            "Matchers": [{"field": "name", "op": "=", "value": SCHEDULED}],
            "DurationSeconds": 30 * 86_400,
            "Recurrence": recurrence,
            "Comment": "weekly maintenance",
        },
    )["Silence"]
    assert (silence["State"], silence["Recurrence"]) == ("waiting", recurrence)
    assert _route(vigil, {"name": SCHEDULED})["Matched"] is True

    server.advance(int((opens - now).total_seconds()) + 60)
    assert _route(vigil, {"name": SCHEDULED})["Reason"] == f"muted by silence {silence['SilenceId']}"
    assert vigil.vigil("ListSilences")["Silences"][0]["State"] == "active"

    server.advance(30 * 60)
    assert _route(vigil, {"name": SCHEDULED})["Matched"] is True
    assert vigil.vigil("ListSilences")["Silences"][0]["State"] == "waiting"
    server.advance(7 * 86_400 - 30 * 60)  # the same hour a week later
    assert _route(vigil, {"name": SCHEDULED})["Matched"] is False


BAD_SILENCES = [
    ({"Comment": None}, "MissingParameter", "Comment is mandatory"),
    ({"Matchers": []}, "InvalidParameter", "at least one matcher"),
    ({"Matchers": [{"field": "name", "op": "~", "value": "x"}]}, "InvalidParameter", "op must be one of"),
    ({"Matchers": [{"field": "name", "op": "=~", "value": "("}]}, "InvalidParameter", "not a valid regular"),
    ({"Matchers": [{"field": "name", "value": "x", "why": 1}]}, "InvalidParameter", "unknown field 'why'"),
    ({"DurationSeconds": None}, "InvalidParameter", "give either EndsAt or DurationSeconds"),
    ({"EndsAt": "2031-01-01T00:00:00Z"}, "InvalidParameter", "give either EndsAt or DurationSeconds"),
    ({"DurationSeconds": None, "EndsAt": "tomorrow"}, "InvalidParameter", "EndsAt must be Unix milliseconds"),
    (
        {"StartsAt": "2031-01-02T00:00:00Z", "DurationSeconds": None, "EndsAt": "2031-01-01T00:00:00Z"},
        "InvalidParameter",
        "EndsAt must be after StartsAt",
    ),
    (
        {"Recurrence": {"days": ["someday"], "start": "02:00", "duration_minutes": 5}},
        "InvalidParameter",
        "recurrence.days",
    ),
    (
        {"Recurrence": {"days": ["mon"], "start": "25:00", "duration_minutes": 5}},
        "InvalidParameter",
        "recurrence.start must be HH:MM",
    ),
]


@pytest.mark.parametrize(
    ("override", "code", "message"), BAD_SILENCES, ids=[m.replace(" ", "-") for _, _, m in BAD_SILENCES]
)
def test_create_silence_refuses_bad_parameters_by_name(
    vigil: VigilClient, override: dict[str, Any], code: str, message: str
) -> None:
    params = {
        "Matchers": [{"field": "name", "value": SCHEDULED}],
        "DurationSeconds": 60,
        "Comment": "c",
        **override,
    }
    error = refused(lambda: vigil.vigil("CreateSilence", params))
    assert (error.status, error.code) == (400, code)
    assert message in error.message


def test_silence_times_take_milliseconds_or_iso_8601(vigil: VigilClient) -> None:
    made = vigil.vigil(
        "CreateSilence",
        {
            "Matchers": [{"field": "level", "op": "!=", "value": "INFO"}],
            "StartsAt": "2031-01-01T08:00:00+08:00",
            "EndsAt": str(1_924_992_000_000 + 3_600_000),
            "Author": "alice",
            "Comment": "planned",
        },
    )["Silence"]
    assert (made["StartsAt"], made["EndsAt"], made["Author"]) == (
        1_924_992_000_000,
        1_924_995_600_000,
        "alice",
    )
    assert made["State"] == "pending"
    missing = refused(lambda: vigil.vigil("ExpireSilence", {"SilenceId": "nope"}))
    assert (missing.status, missing.code) == (404, "SilenceNotFound")


# -- dry runs and test notifications ---------------------------------------------------------


def test_event_routing_explains_what_matches_and_why_not(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    subscribe(vigil, hook.url)
    subscribe(vigil, hook.url, name="failures-off", State="DISABLED")
    body = vigil.vigil("TestEventRouting", {"Event": {"name": SCHEDULED}})
    routes = {r["Name"]: r for r in body["Routes"]}
    assert body["EventName"] == SCHEDULED
    assert routes["key-deletions"]["Matched"] is True and routes["key-deletions"]["Reason"] == ""
    [address] = routes["key-deletions"]["Targets"]
    assert (address["TargetId"], address["Channel"], address["Valid"]) == ("hook", "webhook", True)
    assert address["TargetName"] == hook.url.removesuffix("/hook")
    assert routes["failures-off"]["Reason"] == "the subscription is disabled"

    event = {"name": ROTATION_FAILED, "content": {"secretName": "db"}}
    other = _route(vigil, event)
    assert other["Matched"] is False and other["Targets"] == []
    assert other["Reason"] == f"name '{ROTATION_FAILED}' is not one of {SCHEDULED}"

    key_id = schedule_deletion(server)
    found = vigil.call("DescribeSystemEventAttribute", {"Name": SCHEDULED}, version="2019-01-01")[
        "SystemEvents"
    ]["SystemEvent"]
    stored = vigil.vigil("TestEventRouting", {"EventId": found[0]["Id"]})
    assert stored["EventId"] == found[0]["Id"] and key_id in found[0]["ResourceId"]
    assert {r["Name"]: r["Matched"] for r in stored["Routes"]} == {
        "key-deletions": True,
        "failures-off": False,
    }


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "give either Event"),
        ({"Event": {"name": SCHEDULED}, "EventId": "x"}, 400, "give either Event"),
        (
            {"Event": {"name": "Nope:Nothing"}},
            400,
            "Event.name 'Nope:Nothing' is not an event of the catalog",
        ),
        ({"Event": {"name": SCHEDULED, "product": "Kafka"}}, 400, "Event.product 'Kafka' does not match"),
        ({"Event": {"name": SCHEDULED, "level": "LOUD"}}, 400, "Event.level must be one of"),
        ({"Event": {"name": SCHEDULED, "content": "x"}}, 400, "Event.content must be a JSON object"),
        ({"Event": [SCHEDULED]}, 400, "Event must be a JSON object"),
        ({"EventId": "no-such-event"}, 404, "event 'no-such-event' does not exist"),
    ],
    ids=["neither", "both", "unknown-name", "product", "level", "content", "not-object", "unknown-id"],
)
def test_event_routing_refuses_what_is_not_an_event(
    vigil: VigilClient, params: dict[str, Any], status: int, message: str
) -> None:
    error = refused(lambda: vigil.vigil("TestEventRouting", params))
    assert error.status == status and message in error.message


def test_a_test_notification_reaches_a_local_receiver_marked_as_a_drill(
    vigil: VigilClient, hook: LocalReceiver
) -> None:
    body = vigil.vigil("SendTestNotification", {"Target": {"Type": "webhook", "Url": hook.url}})
    [record] = body["Records"]
    assert (record["Status"], record["Attempts"], record["SourceKind"], record["TargetId"]) == (
        "SUCCESS",
        1,
        "test",
        "test",
    )
    assert record["LatencyMs"] is not None and record["Subject"].endswith("(drill)")
    [request] = hook.requests
    payload = request.json()
    assert (payload["name"], payload["drill"], payload["content"]["drill"]) == (SCHEDULED, True, True)
    assert payload["id"] == body["EventId"] and payload["resourceId"].startswith("acs:kms:cn-hangzhou:")

    chosen = vigil.vigil(
        "SendTestNotification",
        {
            "Target": {"Id": "ops", "Type": "webhook", "Url": hook.url},
            "Event": {"name": ROTATION_FAILED, "content": {"secretName": "db"}},
        },
    )
    assert chosen["Records"][0]["TargetId"] == "ops"
    assert hook.wait_for(2)[1].json()["content"] == {"secretName": "db", "drill": True}
    assert len(records(vigil, RuleName="ops")) == 1


def test_a_test_notification_to_an_unusable_url_is_recorded_invalid(vigil: VigilClient) -> None:
    body = vigil.vigil(
        "SendTestNotification", {"Target": {"Type": "webhook", "Url": "ftp://files.example.com/"}}
    )
    [record] = body["Records"]
    assert (record["Status"], record["Attempts"], record["Reason"]) == ("INVALID", 0, "misconfigured")
    assert "url scheme must be one of http, https" in record["LastError"]
    assert records(vigil, Status="INVALID") == [record]
    missing = refused(lambda: vigil.vigil("SendTestNotification", {}))
    assert (missing.code, missing.message) == ("MissingParameter", "Target is mandatory for this action")


def test_records_are_paged_newest_first_with_a_next_token(vigil: VigilClient, hook: LocalReceiver) -> None:
    for target_id in ("one", "two", "three"):
        vigil.vigil("SendTestNotification", {"Target": {"Id": target_id, "Type": "webhook", "Url": hook.url}})
    first = vigil.vigil("ListNotificationRecords", {"MaxResults": 2})
    assert [r["TargetId"] for r in first["Records"]] == ["three", "two"] and first["NextToken"]
    rest = vigil.vigil("ListNotificationRecords", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert ([r["TargetId"] for r in rest["Records"]], rest["NextToken"]) == (["one"], "")
    assert records(vigil, Target="two")[0]["TargetId"] == "two"
    assert records(vigil, StartTime=str(first["Records"][0]["CreatedAt"] + 1)) == []
    for bad, message in (
        ({"MaxResults": 101}, "MaxResults must be between 1 and 100"),
        ({"NextToken": "abc"}, "NextToken must be the NextToken of an earlier answer"),
        ({"Status": "LOST"}, "Status must be one of"),
        ({"StartTime": "2031-01-02", "EndTime": "2031-01-01"}, "StartTime must not be after EndTime"),
    ):
        assert message in refused(lambda bad=bad: vigil.vigil("ListNotificationRecords", bad)).message


# -- notifications: acknowledgement, escalation, merging, thresholds -------------------------


def test_notifications_are_acknowledged_and_resolved_by_the_caller(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    subscribe(vigil, hook.url)
    schedule_deletion(server)
    server.advance(0)
    hook.wait_for(1)
    [firing] = vigil.vigil("ListNotifications", {"State": "FIRING"})["Notifications"]
    assert (firing["Source"], firing["EventName"], firing["EventCount"]) == (
        "subscription/key-deletions",
        SCHEDULED,
        1,
    )

    notification_id = firing["NotificationId"]
    acked = vigil.vigil("AcknowledgeNotification", {"NotificationId": notification_id, "Comment": "on it"})
    assert (acked["Notification"]["State"], acked["Notification"]["AckedBy"]) == ("ACKNOWLEDGED", "root")
    assert acked["Notification"]["AckComment"] == "on it"
    assert vigil.vigil("ListNotifications", {"State": "FIRING"})["Notifications"] == []
    resolved = vigil.vigil("ResolveNotification", {"NotificationId": notification_id})["Notification"]
    assert resolved["State"] == "RESOLVED"
    assert [n["NotificationId"] for n in vigil.vigil("ListNotifications")["Notifications"]] == [
        notification_id
    ]

    missing = refused(lambda: vigil.vigil("AcknowledgeNotification", {"NotificationId": "nope"}))
    assert (missing.status, missing.code) == (404, "NotificationNotFound")
    bad = refused(lambda: vigil.vigil("ListNotifications", {"State": "SLEEPING"}))
    assert "State must be one of FIRING, ACKNOWLEDGED, RESOLVED" in bad.message


def test_escalation_reaches_a_contact_only_while_the_contact_is_enabled(
    server: RunningServer, vigil: VigilClient, hook: LocalReceiver
) -> None:
    with LocalReceiver() as oncall_chat:
        cms = {"version": "2019-01-01"}
        vigil.call(
            "PutContact",
            {"ContactName": "dana", "Channels.DingWebHook": oncall_chat.url, "Describe": "l2"},
            **cms,
        )
        vigil.call("PutContactGroup", {"ContactGroupName": "oncall", "ContactNames.1": "dana"}, **cms)
        subscribe(vigil, hook.url, Escalation=[{"ContactGroup": "oncall", "AfterSeconds": 600}])
        schedule_deletion(server)
        server.advance(0)
        hook.wait_for(1)
        server.advance(599)
        assert oncall_chat.requests == [], "not due yet"
        server.advance(2)
        [chat] = oncall_chat.wait_for(1)
        assert chat.json()["event"]["name"] == SCHEDULED
        [escalated] = settled(vigil, Target="escalation-1")
        assert (escalated["TargetName"], escalated["Channel"], escalated["Status"]) == (
            "oncall/dana",
            "chat",
            "SUCCESS",
        )
        assert "Address" not in escalated

        disabled = vigil.vigil("DisableContact", {"ContactName": "dana"})["Contact"]
        assert (disabled["Enabled"], disabled["Channels"]) == (False, ["DingWebHook"])
        schedule_deletion(server)
        server.advance(0)
        hook.wait_for(2)
        server.advance(601)
        newest = settled(vigil, 2, Target="escalation-1")[0]
        assert (newest["Status"], newest["LastError"]) == ("INVALID", "contact 'dana' is disabled")
        assert vigil.vigil("EnableContact", {"ContactName": "dana"})["Contact"]["Enabled"] is True
        missing = refused(lambda: vigil.vigil("EnableContact", {"ContactName": "nobody"}))
        assert (missing.status, missing.code) == (404, "ContactNotFound")


# -- authorisation ---------------------------------------------------------------------------


def test_alerting_actions_are_authorised_on_cms_resources(server: RunningServer, vigil: VigilClient) -> None:
    vigil.vigil("CreateUser", {"UserName": "team"})
    key = vigil.vigil("CreateAccessKey", {"UserName": "team"})["AccessKey"]
    team = server.client(key["AccessKeyId"], key["AccessKeySecret"])
    denied = refused(lambda: team.vigil("ListSubscriptions"))
    assert denied.status == 403 and "vigil:ListSubscriptions on acs:cms:cn-hangzhou:" in denied.message
    statement = {
        "Effect": "Allow",
        "Action": ["vigil:PutSubscription", "vigil:CreateSilence"],
        "Resource": ["acs:cms:*:*:subscription/team-*", "acs:cms:*:*:silence/*"],
    }
    document = json.dumps({"Version": "1", "Statement": [statement]})
    vigil.vigil("CreatePolicy", {"PolicyName": "team-alerts", "PolicyDocument": document})
    vigil.vigil("AttachPolicyToUser", {"PolicyName": "team-alerts", "UserName": "team"})
    made = subscribe(team, "https://h.example.com/", name="team-a")
    assert made["Name"] == "team-a"
    assert refused(lambda: subscribe(team, "https://h.example.com/", name="ops")).status == 403
    silence = team.vigil(
        "CreateSilence",
        {"Matchers": [{"field": "name", "value": SCHEDULED}], "DurationSeconds": 60, "Comment": "c"},
    )["Silence"]
    assert silence["Author"] == "team"
