"""ActionTrail LookupEvents through the official alibabacloud-actiontrail20200706 SDK: real KMS calls
(successes, refusals, a bad signature) found by every LookupAttribute key and their combinations,
the event shape, time windows on the test clock, paging both ways, retention, and bad parameters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from alibabacloud_actiontrail20200706 import models as at
from alibabacloud_actiontrail20200706.client import Client
from alibabacloud_kms20160120 import models as kms
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.api.sdk_support import KeepsLastAnswer, local_config
from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer

DAY = 86_400
PLAINTEXT = "aGVsbG8gYXVkaXQ="
SECRET_VALUE = "Heron-5521-never-in-the-trail"
SECRET_NAME = "prod/payments-db"
_EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class RecordingTrail(KeepsLastAnswer, Client):  # type: ignore[misc]
    """The official ActionTrail client, keeping the raw JSON answer of its last call."""


def trail_client(
    server: RunningServer, access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET
) -> RecordingTrail:
    return RecordingTrail(local_config(server, access_key_id, secret))


def lookup(trail: Client, *attributes: tuple[str, str], **fields: Any) -> Any:
    """LookupEvents' answer body for these (key, value) conditions and request fields."""
    conditions = [at.LookupEventsRequestLookupAttribute(key=k, value=v) for k, v in attributes]
    return trail.lookup_events(at.LookupEventsRequest(lookup_attribute=conditions, **fields)).body


def calls(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(eventName, errorCode or "") of each event, in the order given."""
    return [(e["eventName"], e.get("errorCode", "")) for e in events]


def fails(call: Any) -> ClientException:
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def rejected(call: Any, code: str, *words: str) -> str:
    """The message of the 400 error ``code`` the call must raise; it names ``words``."""
    error = fails(call)
    assert (error.status_code, error.code) == (400, code), error.message
    message = str(error.data["Message"])
    for word in words:
        assert word in message, message
    return message


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def server_now(server: RunningServer) -> int:
    return int(server.client().vigil("GetClock")["NowMs"])


@dataclass(slots=True)
class World:
    """KMS calls made through the official SDK by root and by a RAM user, oldest first."""

    server: RunningServer
    trail: RecordingTrail
    key_id: str
    worker: tuple[str, str]
    request_ids: dict[str, str] = field(default_factory=dict)


def grant(server: RunningServer, user: str, name: str, actions: list[str], resource: str = "*") -> None:
    root = server.client()
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    document = json.dumps({"Version": "1", "Statement": [statement]})
    root.vigil("CreatePolicy", {"PolicyName": name, "PolicyDocument": document})
    root.vigil("AttachPolicyToUser", {"PolicyName": name, "UserName": user})


def new_user(server: RunningServer, name: str) -> tuple[str, str]:
    root = server.client()
    root.vigil("CreateUser", {"UserName": name})
    created = root.vigil("CreateAccessKey", {"UserName": name})["AccessKey"]
    return created["AccessKeyId"], created["AccessKeySecret"]


@pytest.fixture
def world(server: RunningServer) -> World:
    client = server.kms()
    created = client.create_key(kms.CreateKeyRequest()).body
    key_id = created.key_metadata.key_id
    w = World(server, trail_client(server), key_id, new_user(server, "worker"))
    grant(server, "worker", "describe-keys", ["kms:DescribeKey"])
    w.request_ids["CreateKey"] = created.request_id
    client.describe_key(kms.DescribeKeyRequest(key_id=key_id))
    blob = client.encrypt(kms.EncryptRequest(key_id=key_id, plaintext=PLAINTEXT)).body.ciphertext_blob
    client.decrypt(kms.DecryptRequest(ciphertext_blob=blob))
    client.create_secret(
        kms.CreateSecretRequest(secret_name=SECRET_NAME, secret_data=SECRET_VALUE, version_id="v1")
    )
    client.get_secret_value(kms.GetSecretValueRequest(secret_name=SECRET_NAME))
    client.disable_key(kms.DisableKeyRequest(key_id=key_id))
    refused = fails(lambda: client.encrypt(kms.EncryptRequest(key_id=key_id, plaintext=PLAINTEXT)))
    assert refused.code == "Rejected.Disabled"
    w.request_ids["Encrypt"] = refused.request_id
    server.kms(*w.worker).describe_key(kms.DescribeKeyRequest(key_id=key_id))
    forged = fails(
        lambda: server.kms(w.worker[0], "not-the-secret").describe_key(kms.DescribeKeyRequest(key_id=key_id))
    )
    assert forged.code == "SignatureDoesNotMatch"
    return w


TRAIL = [
    ("DescribeKey", "SignatureDoesNotMatch"),
    ("DescribeKey", ""),  # by the RAM user
    ("Encrypt", "Rejected.Disabled"),
    ("DisableKey", ""),
    ("GetSecretValue", ""),
    ("CreateSecret", ""),
    ("Decrypt", ""),
    ("Encrypt", ""),
    ("DescribeKey", ""),  # by root
    ("CreateKey", ""),
]
"""The world's KMS calls in the account's trail, newest first: every one of them. The successful
Encrypt, Decrypt and GetSecretValue calls are data-plane calls, in the KMS instance's log store too."""


def test_the_service_name_finds_every_kms_call_of_the_trail_newest_first(world: World) -> None:
    body = lookup(world.trail, ("ServiceName", "Kms"))
    assert calls(body.events) == TRAIL
    assert calls(lookup(world.trail, ("ServiceName", "kms")).events) == TRAIL
    assert body.next_token is None and "NextToken" not in (world.trail.last_raw or {})
    times = [e["eventTime"] for e in body.events]
    assert times == sorted(times, reverse=True)


def test_each_lookup_attribute_key_finds_exactly_its_calls(world: World) -> None:
    worker_key = world.worker[0]
    create_key = lookup(world.trail, ("EventName", "CreateKey")).events[0]

    def found(*attributes: tuple[str, str]) -> list[tuple[str, str]]:
        return calls(lookup(world.trail, *attributes).events)

    assert found(("EventName", "Encrypt")) == [("Encrypt", "Rejected.Disabled"), ("Encrypt", "")]
    assert found(("EventName", "Decrypt")) == [("Decrypt", "")]
    assert found(("User", "worker")) == [("DescribeKey", "")]
    assert found(("EventAccessKeyId", worker_key)) == [
        ("DescribeKey", "SignatureDoesNotMatch"),
        ("DescribeKey", ""),
    ]
    assert found(("EventId", create_key["eventId"])) == [("CreateKey", "")]
    secret_calls = [("GetSecretValue", ""), ("CreateSecret", "")]
    assert found(("ResourceType", "ACS::KMS::Secret")) == secret_calls
    assert found(("ResourceName", SECRET_NAME)) == secret_calls
    assert found(("ResourceName", world.key_id)) == [c for c in TRAIL if c not in secret_calls]
    assert found(("ServiceName", "Kms"), ("EventRW", "Write")) == [
        ("DisableKey", ""),
        ("CreateSecret", ""),
        ("CreateKey", ""),
    ]
    assert found(("ServiceName", "Kms"), ("EventRW", "read")) == [
        c for c in TRAIL if c[0] in ("DescribeKey", "Encrypt", "Decrypt", "GetSecretValue")
    ]
    assert found(("EventName", "encrypt")) == [], "event names are exact"


def test_who_decrypted_with_a_key_is_found_by_its_key_id(world: World) -> None:
    """Issue 6's "who decrypted with key X last Tuesday", asked with the unmodified SDK: a successful
    Decrypt is in the trail under its key's id (and in the key's KMS instance's log store as well)."""
    root = world.server.kms()
    root.enable_key(kms.EnableKeyRequest(key_id=world.key_id))
    blob = root.encrypt(kms.EncryptRequest(key_id=world.key_id, plaintext=PLAINTEXT)).body.ciphertext_blob
    grant(world.server, "worker", "decrypt", ["kms:Decrypt"])
    tuesday = server_now(world.server)
    answer = world.server.kms(*world.worker).decrypt(kms.DecryptRequest(ciphertext_blob=blob)).body
    assert answer.plaintext == PLAINTEXT and answer.key_id == world.key_id
    world.server.advance(8 * DAY)
    decrypts = lookup(
        world.trail,
        ("ResourceName", world.key_id),
        ("EventName", "Decrypt"),
        start_time=iso(tuesday - 3_600_000),
        end_time=iso(tuesday + 3_600_000),
    ).events
    assert [(e["userIdentity"]["userName"], e.get("errorCode", "")) for e in decrypts] == [
        ("worker", ""),
        ("root", ""),
    ]
    by_worker = decrypts[0]
    assert by_worker["requestId"] == answer.request_id
    assert (by_worker["resourceType"], by_worker["eventRW"]) == ("ACS::KMS::Key", "Read")
    assert by_worker["userIdentity"]["accessKeyId"] == world.worker[0]
    assert re.fullmatch(r"hmac-sha256:[0-9a-f]{64}", by_worker["responseElements"]["Plaintext"])
    assert PLAINTEXT not in json.dumps(decrypts)
    assert lookup(world.trail, ("ResourceName", world.key_id), ("EventName", "Decrypt")).events == [], (
        "the default window is the last seven days"
    )
    instance = root.describe_key(
        kms.DescribeKeyRequest(key_id=world.key_id)
    ).body.key_metadata.dkmsinstance_id
    kept = world.server.client().vigil(
        "SearchAuditEvents",
        {"Query": "event.eventName: Decrypt", "InstanceId": instance, "StartTime": str(tuesday - 3_600_000)},
    )["Events"]
    assert [e["eventId"] for e in kept] == [e["eventId"] for e in decrypts]


def test_several_conditions_must_all_hold(world: World) -> None:
    def found(*attributes: tuple[str, str]) -> list[tuple[str, str]]:
        return calls(lookup(world.trail, *attributes).events)

    assert found(("ServiceName", "Kms"), ("EventName", "DescribeKey"), ("User", "worker")) == [
        ("DescribeKey", "")
    ]
    assert found(("ResourceName", world.key_id), ("EventAccessKeyId", ROOT_AK), ("EventRW", "Write")) == [
        ("DisableKey", ""),
        ("CreateKey", ""),
    ]
    assert found(("EventName", "DescribeKey"), ("EventName", "Encrypt")) == []
    assert found(("User", "worker"), ("ServiceName", "Cms")) == []


def test_an_event_has_the_actiontrail_fields(world: World) -> None:
    [event] = lookup(world.trail, ("EventName", "CreateKey")).events
    assert _EVENT_TIME.fullmatch(event["eventTime"])
    assert event["requestId"] == world.request_ids["CreateKey"]
    assert event["userAgent"].startswith("AlibabaCloud")
    assert event["responseElements"]["KeyMetadata"]["KeyId"] == world.key_id
    fixed = {
        k: event[k]
        for k in event
        if k not in ("eventId", "eventTime", "requestId", "userAgent", "responseElements")
    }
    assert fixed == {
        "eventVersion": "1",
        "eventName": "CreateKey",
        "eventRW": "Write",
        "eventType": "ApiCall",
        "eventSource": world.server.endpoint,
        "eventCategory": "Management",
        "serviceName": "Kms",
        "acsRegion": REGION,
        "sourceIpAddress": "127.0.0.1",
        "userIdentity": {
            "type": "root-account",
            "principalId": world.server.account_id,
            "accountId": world.server.account_id,
            "accessKeyId": ROOT_AK,
            "userName": "root",
        },
        "requestParameters": {},
        "resourceName": world.key_id,
        "resourceType": "ACS::KMS::Key",
        "isGlobal": False,
        "apiVersion": "2016-01-20",
    }


def test_a_refused_call_carries_its_error_and_no_plaintext(world: World) -> None:
    [event, succeeded] = lookup(world.trail, ("EventName", "Encrypt")).events
    assert "errorCode" not in succeeded and succeeded["requestId"] != world.request_ids["Encrypt"]
    assert event["requestId"] == world.request_ids["Encrypt"]
    assert event["errorCode"] == "Rejected.Disabled" and world.key_id in event["errorMessage"]
    assert event["requestParameters"]["KeyId"] == world.key_id
    assert re.fullmatch(r"hmac-sha256:[0-9a-f]{64}", event["requestParameters"]["Plaintext"])
    assert event["responseElements"] is None
    assert event["userIdentity"]["userName"] == "root"


def test_a_call_with_a_wrong_secret_is_recorded_under_the_key_it_claimed(world: World) -> None:
    [forged, genuine] = lookup(world.trail, ("EventAccessKeyId", world.worker[0])).events
    assert forged["errorCode"] == "SignatureDoesNotMatch" and forged["errorMessage"]
    assert forged["userIdentity"]["accessKeyId"] == world.worker[0]
    assert forged["userIdentity"]["userName"] == "" and forged["userIdentity"]["type"] == "unknown"
    assert forged["userIdentity"]["accountId"] == world.server.account_id
    assert (forged["eventName"], forged["eventRW"], forged["serviceName"]) == ("DescribeKey", "Read", "Kms")
    assert forged["apiVersion"] == "2016-01-20"
    assert genuine["userIdentity"]["type"] == "ram-user" and genuine["userIdentity"]["userName"] == "worker"
    assert "errorCode" not in genuine


def test_the_answer_echoes_its_window_and_defaults_to_the_last_seven_days(world: World) -> None:
    now = server_now(world.server)
    body = lookup(world.trail, ("ServiceName", "Kms"))
    start = datetime.strptime(body.start_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    end = datetime.strptime(body.end_time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert end - start in (7 * DAY, 7 * DAY - 1)
    assert abs(end * 1000 - now) < 5000
    given = lookup(
        world.trail, ("ServiceName", "Kms"), start_time=iso(now - 3600_000), end_time=iso(now + 60_000)
    )
    assert (given.start_time, given.end_time) == (iso(now - 3600_000), iso(now + 60_000))
    assert calls(given.events) == TRAIL


def test_the_window_selects_by_event_time_on_the_test_clock(world: World) -> None:
    before = server_now(world.server)
    world.server.advance(3 * DAY)
    client = world.server.kms()
    client.describe_key(kms.DescribeKeyRequest(key_id=world.key_id))
    after = server_now(world.server)

    def described(**window: Any) -> int:
        return len(lookup(world.trail, ("EventName", "DescribeKey"), **window).events)

    assert described() == 4
    assert described(end_time=iso(before)) == 3
    assert described(start_time=iso(before + 1000)) == 1
    assert described(start_time=iso(before - 600_000), end_time=iso(after)) == 4
    world.server.advance(5 * DAY)
    assert described() == 1, "the default window is the last seven days"
    assert described(start_time=iso(after - 9 * DAY * 1000)) == 4


def test_the_trail_reaches_back_90_days_and_no_further(world: World) -> None:
    world.server.advance(89 * DAY)
    now = server_now(world.server)
    assert (
        calls(
            lookup(world.trail, ("ServiceName", "Kms"), start_time=iso(now - 90 * DAY * 1000 + 60_000)).events
        )
        == TRAIL
    )
    world.server.advance(2 * DAY)
    now = server_now(world.server)
    rejected(
        lambda: lookup(world.trail, start_time=iso(now - 91 * DAY * 1000)),
        "InvalidParameter",
        "StartTime",
        "90 days",
    )
    assert (
        lookup(world.trail, ("ServiceName", "Kms"), start_time=iso(now - 90 * DAY * 1000 + 60_000)).events
        == []
    )


def test_bad_times_are_refused_by_name(world: World) -> None:
    now = server_now(world.server)
    rejected(
        lambda: lookup(world.trail, start_time=iso(now - 3600_000), end_time=iso(now - 7200_000)),
        "InvalidParameter",
        "EndTime",
        "before StartTime",
    )
    rejected(
        lambda: lookup(world.trail, start_time="yesterday"), "InvalidParameter", "StartTime", "'yesterday'"
    )
    rejected(lambda: lookup(world.trail, end_time="2026-02-30T00:00:00Z"), "InvalidParameter", "EndTime")


def test_pages_walk_the_trail_both_ways_without_repeats_or_gaps(world: World) -> None:
    client = world.server.kms()
    for _ in range(9):
        client.describe_key(kms.DescribeKeyRequest(key_id=world.key_id))
    every = lookup(world.trail, ("EventName", "DescribeKey"), max_results="50").events
    assert len(every) == 12

    def walk(direction: str | None) -> list[list[str]]:
        pages, token = [], None
        while True:
            body = lookup(
                world.trail,
                ("EventName", "DescribeKey"),
                max_results="5",
                direction=direction,
                next_token=token,
            )
            pages.append([e["eventId"] for e in body.events])
            token = body.next_token
            if not token:
                return pages

    backward = walk(None)
    assert [len(p) for p in backward] == [5, 5, 2]
    assert [i for p in backward for i in p] == [e["eventId"] for e in every]
    assert walk("BACKWARD") == backward
    forward = walk("FORWARD")
    assert [i for p in forward for i in p] == [e["eventId"] for e in reversed(every)]


def test_max_results_is_0_to_50_and_defaults_to_20(world: World) -> None:
    client = world.server.kms()
    for _ in range(20):
        client.describe_key(kms.DescribeKeyRequest(key_id=world.key_id))
    assert len(lookup(world.trail, ("EventName", "DescribeKey")).events) == 20
    assert len(lookup(world.trail, ("EventName", "DescribeKey"), max_results="0").events) == 20
    assert len(lookup(world.trail, ("EventName", "DescribeKey"), max_results="50").events) == 23
    assert len(lookup(world.trail, ("EventName", "DescribeKey"), max_results="1").events) == 1
    for bad in ("51", "-1", "ten"):
        rejected(lambda bad=bad: lookup(world.trail, max_results=bad), "InvalidParameter", "MaxResults")


def test_bad_conditions_tokens_and_directions_are_refused_clearly(world: World) -> None:
    rejected(
        lambda: lookup(world.trail, ("Region", "cn-hangzhou")),
        "InvalidParameter.LookupAttribute",
        "LookupAttribute.1.Key",
        "'Region'",
        "ServiceName",
        "EventAccessKeyId",
    )
    rejected(
        lambda: lookup(world.trail, ("ServiceName", "Kms"), ("servicename", "Kms")),
        "InvalidParameter.LookupAttribute",
        "LookupAttribute.2.Key",
    )
    rejected(lambda: lookup(world.trail, ("EventName", "")), "MissingParameter", "LookupAttribute.1.Value")
    rejected(lambda: lookup(world.trail, next_token="not-a-token"), "InvalidParameter.NextToken", "NextToken")
    rejected(
        lambda: lookup(world.trail, direction="SIDEWAYS"),
        "InvalidParameter",
        "Direction",
        "FORWARD or BACKWARD",
    )
    assert calls(
        lookup(world.trail, ("EventName", "CreateKey"), next_token="", direction="forward").events
    ) == [("CreateKey", "")]


def test_lookup_events_is_authorised_and_itself_recorded_as_a_read(world: World) -> None:
    as_worker = trail_client(world.server, *world.worker)
    error = fails(lambda: lookup(as_worker, ("ServiceName", "Kms")))
    assert (error.status_code, error.code) == (403, "Forbidden.RAM")
    assert "actiontrail:LookupEvents" in str(error.data["Message"])
    grant(world.server, "worker", "read-trail", ["actiontrail:LookupEvents"], "acs:actiontrail:*:*:trail/*")
    assert calls(lookup(as_worker, ("ServiceName", "Kms")).events) == TRAIL
    own = lookup(world.trail, ("ServiceName", "Actiontrail"), ("User", "worker")).events
    assert calls(own) == [("LookupEvents", ""), ("LookupEvents", "Forbidden.RAM")]
    newest = own[0]
    assert (newest["eventRW"], newest["apiVersion"]) == ("Read", "2020-07-06")
    assert newest["requestParameters"]["LookupAttribute.1.Value"] == "Kms"
    assert "Events" not in newest["responseElements"], "pages read are not copied into the trail again"
    assert newest["responseElements"]["StartTime"]


def test_events_are_a_bare_list_of_objects_in_the_raw_answer(world: World) -> None:
    lookup(world.trail, ("ServiceName", "Kms"), max_results="2")
    raw = world.trail.last_raw
    assert raw is not None
    assert sorted(raw) == ["EndTime", "Events", "NextToken", "RequestId", "StartTime"]
    assert isinstance(raw["Events"], list) and all(isinstance(e, dict) for e in raw["Events"])
    assert isinstance(raw["NextToken"], str) and raw["NextToken"]
