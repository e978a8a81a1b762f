"""``vigil subscriptions``, ``vigil silences`` and ``vigil notifications`` against a real server: a key
deletion made with the CLI reaching a real receiver, the delivery records table, acknowledging,
silences with weekly windows, test notifications and dry runs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import RunningServer
from vigil.testing import LocalReceiver

SCHEDULED = "Key:DeleteKey:ScheduleDeletion"
ROTATION_FAILED = "Secret:RotateSecret:Failure"


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    with LocalReceiver() as receiver:
        yield receiver


def delivered(vigil: Cli, *filters: str) -> list[dict[str, Any]]:
    """The delivery records once each has had its first attempt (the server delivers in the background)."""
    deadline = time.monotonic() + 10
    while True:
        found: list[dict[str, Any]] = vigil.json("notifications", *filters)
        if found and all(r["Attempts"] or r["Status"] != "PENDING" for r in found):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.02)


def test_the_alerting_nouns_are_listed_in_the_help(vigil: Cli) -> None:
    out = vigil.ok("--help")
    assert all(noun in out for noun in ("subscriptions", "silences", "notifications"))
    notifications_help = vigil.ok("notifications", "--help")
    for sub in ("ack", "resolve", "alerts", "test", "explain"):
        assert sub in notifications_help


def test_a_subscription_is_put_listed_shown_and_deleted(vigil: Cli) -> None:
    made = vigil.json(
        "subscriptions", "put", "key-deletions",
        "--product", "KMS", "--event-name", SCHEDULED, "--level", "WARN",
        "--webhook", "https://hooks.example.com/kms", "--contact-group", "oncall", "--log", "audit/alerts",
        "--merge-by", "name", "--merge-window", "5m", "--dedup", "1h",
        "--escalate", "oncall=15m", "--escalate", "managers=1h",
    )  # fmt: skip
    assert made["EventPattern"] == [
        {
            "Product": "KMS",
            "NameList": [SCHEDULED],
            "LevelList": ["WARN"],
            "EventTypeList": [],
            "StatusList": [],
            "CustomFilters": "",
            "SQLFilter": "",
        }
    ]
    assert made["Targets"] == [
        {"Id": "webhook-1", "Type": "webhook", "Url": "https://hooks.example.com/kms"},
        {"Id": "contact-group-1", "Type": "contact_group", "ContactGroupName": "oncall"},
        {"Id": "log-1", "Type": "log", "Project": "audit", "LogStore": "alerts"},
    ]
    assert (made["Merge"], made["DedupSeconds"]) == ({"Fields": ["name"], "WindowSeconds": 300}, 3600)
    assert made["Escalation"] == [
        {"ContactGroup": "oncall", "AfterSeconds": 900},
        {"ContactGroup": "managers", "AfterSeconds": 3600},
    ]
    table = vigil.ok("subscriptions", "list")
    assert "key-deletions" in table and "ENABLED" in table
    assert vigil.json("subscriptions", "show", "key-deletions") == made
    assert "SubscriptionId" in vigil.ok("subscriptions", "show", "key-deletions")
    assert vigil.ok("subscriptions", "delete", "key-deletions") == "subscription key-deletions deleted\n"
    gone = vigil.fails("subscriptions", "show", "key-deletions")
    assert gone.stderr.startswith("Error: SubscriptionNotFound: subscription 'key-deletions' does not exist")


def test_subscription_mistakes_are_one_line(vigil: Cli) -> None:
    half_merge = vigil.fails(
        "subscriptions", "put", "s", "--webhook", "https://h/", "--merge-by", "name", code=2
    )
    assert "--merge-by and --merge-window go together" in half_merge.stderr
    both = vigil.fails(
        "subscriptions", "put", "s", "--webhook", "https://h/", "--level", "WARN", "--pattern", "{}", code=2
    )
    assert "give either --pattern or the pattern options" in both.stderr
    bad_duration = vigil.fails("subscriptions", "put", "s", "--dedup", "soon", code=2)
    assert "'soon' is not a duration" in bad_duration.stderr
    no_target = vigil.fails("subscriptions", "put", "s")
    assert no_target.stderr == "Error: InvalidParameter: Targets must list 1-20 targets\n"
    bad_target = vigil.fails("subscriptions", "put", "s", "--target", '{"Id": "x", "Type": "sms"}')
    assert bad_target.stderr.startswith("Error: InvalidParameter: Targets[1].Type must be one of")


def test_silences_take_matchers_and_a_weekly_window(vigil: Cli) -> None:
    out = vigil.ok(
        "silences", "create",
        "--match", f"name={ROTATION_FAILED}", "--match", "secretName=~db-.*", "--match", "level!=INFO",
        "--ends-in", "2h", "--every", "mon,tue", "--from", "02:00", "--for", "90m",
        "--comment", "database maintenance",
    )  # fmt: skip
    assert out.startswith("silence ") and " until " in out
    [silence] = vigil.json("silences", "list")
    assert silence["Matchers"] == [
        {"field": "name", "op": "=", "value": ROTATION_FAILED},
        {"field": "secretName", "op": "=~", "value": "db-.*"},
        {"field": "level", "op": "!=", "value": "INFO"},
    ]
    assert silence["Recurrence"] == {"days": ["mon", "tue"], "start": "02:00", "duration_minutes": 90}
    assert (silence["Author"], silence["EndsAt"] - silence["StartsAt"]) == ("root", 7_200_000)
    assert silence["SilenceId"] in vigil.ok("silences", "list")

    assert vigil.ok("silences", "expire", silence["SilenceId"]) == f"silence {silence['SilenceId']} expired\n"
    assert vigil.json("silences", "list") == []
    assert vigil.json("silences", "list", "--all")[0]["State"] == "expired"


def test_silence_mistakes_are_one_line(vigil: Cli) -> None:
    bad_match = vigil.fails(
        "silences", "create", "--match", "name", "--ends-in", "1h", "--comment", "c", code=2
    )
    assert "'name' is not FIELD=VALUE" in bad_match.stderr
    no_end = vigil.fails("silences", "create", "--match", "name=x", "--comment", "c", code=2)
    assert "give exactly one of --ends-at or --ends-in" in no_end.stderr
    half_window = vigil.fails(
        "silences",
        "create",
        "--match",
        "name=x",
        "--ends-in",
        "1h",
        "--every",
        "mon",
        "--comment",
        "c",
        code=2,
    )
    assert "--every, --from and --for go together" in half_window.stderr
    bad_regex = vigil.fails("silences", "create", "--match", "name=~(", "--ends-in", "1h", "--comment", "c")
    assert bad_regex.stderr.startswith("Error: InvalidParameter: matchers[1].value is not a valid regular")
    assert vigil.fails("silences", "expire", "nope").stderr.startswith("Error: SilenceNotFound:")


def test_a_key_deletion_is_delivered_listed_acknowledged_and_resolved(
    vigil: Cli, hook: LocalReceiver
) -> None:
    vigil.ok("subscriptions", "put", "key-deletions", "--event-name", SCHEDULED, "--webhook", hook.url)
    key_id = vigil.new_key()
    vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    vigil.ok("clock", "advance", "0")
    assert hook.wait_for(1)[0].json()["content"]["keyId"] == key_id

    [record] = delivered(vigil)
    assert (record["Status"], record["EventName"], record["SourceName"]) == (
        "SUCCESS",
        SCHEDULED,
        "key-deletions",
    )
    table = vigil.ok("notifications")
    assert SCHEDULED in table and "SUCCESS" in table
    assert vigil.json("notifications", "--status", "FAIL") == []
    assert vigil.json("notifications", "--source", "key-deletions", "--target", "webhook-1") == [record]

    [alert] = vigil.json("notifications", "alerts")
    assert (alert["State"], alert["EventName"]) == ("FIRING", SCHEDULED)
    notification_id = alert["NotificationId"]
    acked = vigil.ok("notifications", "ack", notification_id, "--comment", "looking")
    assert acked == f"notification {notification_id} acknowledged by root\n"
    assert vigil.json("notifications", "alerts", "--state", "FIRING") == []
    assert "resolved by root" in vigil.ok("notifications", "resolve", notification_id)
    assert vigil.json("notifications", "alerts")[0]["State"] == "RESOLVED"
    missing = vigil.fails("notifications", "ack", "nope")
    assert missing.stderr.startswith("Error: NotificationNotFound:")


def test_the_records_table_pages_with_a_next_token(vigil: Cli, hook: LocalReceiver) -> None:
    for _ in range(3):
        vigil.ok("notifications", "test", "--webhook", hook.url)
    first = vigil.run("notifications", "--limit", "2")
    assert first.exit_code == 0 and "more records: --next-token " in first.stderr
    token = first.stderr.split("--next-token ")[1].strip()
    assert len(vigil.json("notifications", "--limit", "2", "--next-token", token)) == 1


def test_a_test_notification_shows_the_outcome_and_fails_when_it_fails(
    vigil: Cli, hook: LocalReceiver
) -> None:
    out = vigil.ok("notifications", "test", "--webhook", hook.url)
    assert SCHEDULED in out and "SUCCESS" in out
    assert hook.wait_for(1)[0].json()["drill"] is True
    event = json.dumps({"name": ROTATION_FAILED, "content": {"secretName": "db-main"}})
    [record] = vigil.json("notifications", "test", "--webhook", hook.url, "--method", "GET", "--event", event)
    assert (record["Status"], record["EventName"]) == ("SUCCESS", ROTATION_FAILED)
    assert hook.wait_for(2)[1].method == "GET"

    invalid = vigil.fails("notifications", "test", "--webhook", "ftp://files.example.com/")
    assert "INVALID" in invalid.stdout
    half_log = vigil.fails("notifications", "test", "--target", '{"Type": "log", "Project": "p"}')
    assert half_log.stderr.startswith(
        "Error: InvalidParameter: Target.LogStore is mandatory for a log target"
    )
    two = vigil.fails("notifications", "test", "--webhook", hook.url, "--log", "p/l", code=2)
    assert "name exactly one target" in two.stderr


def test_explain_shows_where_an_event_would_go_and_why_not(vigil: Cli, hook: LocalReceiver) -> None:
    vigil.ok("subscriptions", "put", "key-deletions", "--event-name", SCHEDULED, "--webhook", hook.url)
    vigil.ok(
        "subscriptions",
        "put",
        "failures",
        "--event-name",
        ROTATION_FAILED,
        "--webhook",
        hook.url,
        "--disabled",
    )
    [off, taken] = vigil.json("notifications", "explain", "--event", json.dumps({"name": SCHEDULED}))
    assert (off["Name"], off["Matched"], off["Reason"]) == ("failures", False, "the subscription is disabled")
    assert (taken["Name"], taken["Matched"], taken["Targets"][0]["TargetId"]) == (
        "key-deletions",
        True,
        "webhook-1",
    )
    failure = json.dumps({"name": ROTATION_FAILED})
    assert "key-deletions" in vigil.ok("notifications", "explain", "--event", failure)
    routes = {r["Name"]: r for r in vigil.json("notifications", "explain", "--event", failure)}
    assert routes["key-deletions"]["Reason"] == f"name '{ROTATION_FAILED}' is not one of {SCHEDULED}"

    key_id = vigil.new_key()
    vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    [stored] = vigil.json("events", "search", "--name", SCHEDULED)
    routes = vigil.json("notifications", "explain", "--event-id", stored["Id"])
    assert {r["Name"]: r["Matched"] for r in routes} == {"key-deletions": True, "failures": False}
    assert "yes" in vigil.ok("notifications", "explain", "--event-id", stored["Id"])
    usage = vigil.fails("notifications", "explain", code=2)
    assert "give exactly one of --event-id or --event" in usage.stderr
    unknown = vigil.fails("notifications", "explain", "--event-id", "nope")
    assert unknown.stderr.startswith("Error: EventNotFound: event 'nope' does not exist")
