"""Secret events and notification records through the unmodified Huawei CSMS SDK, delivered for real."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import assert_shape, csms_client, fails, project_id, shape_faults
from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer
from vigil.testing import LocalReceiver
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

CREATED = "SECRET_VERSION_CREATED"
TIMEOUT_S = 10.0


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    return csms_client(server)


@pytest.fixture
def delivering(server: RunningServer) -> RunningServer:
    """The server with its alerting worker running, as ``vigil serve`` runs it; stopped with the app."""
    server.app.services.alerting.worker.start()
    return server


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    with LocalReceiver() as receiver:
        yield receiver


def smn(group: str = "ops", topic: str = "urn:smn:cn-north-4:0123:ops") -> m.Notification:
    return m.Notification(target_type="SMN", target_id=topic, target_name=group)


def create_event(
    csms: CsmsClient,
    name: str,
    event_types: list[str] | None = None,
    notification: m.Notification | None = None,
    state: str = "ENABLED",
) -> Any:
    body = m.CreateSecretEventRequestBody(
        name=name, event_types=event_types or [CREATED], state=state, notification=notification or smn()
    )
    return csms.create_secret_event(m.CreateSecretEventRequest(body=body))


def show_event(csms: CsmsClient, name: str) -> Any:
    return csms.show_secret_event(m.ShowSecretEventRequest(event_name=name))


def update_event(csms: CsmsClient, name: str, **fields: Any) -> Any:
    body = m.UpdateSecretEventRequestBody(**fields)
    return csms.update_secret_event(m.UpdateSecretEventRequest(event_name=name, body=body))


def list_events(csms: CsmsClient, **query: Any) -> Any:
    return csms.list_secret_events(m.ListSecretEventsRequest(**query))


def create_secret(csms: CsmsClient, name: str, events: list[str] | None = None) -> None:
    body = m.CreateSecretRequestBody(name=name, secret_string="first", event_subscriptions=events)
    csms.create_secret(m.CreateSecretRequest(body=body))


def new_version(csms: CsmsClient, name: str) -> str:
    body = m.CreateSecretVersionRequestBody(secret_string=f"value-{uuid.uuid4().hex[:6]}")
    response = csms.create_secret_version(m.CreateSecretVersionRequest(secret_name=name, body=body))
    return str(response.version_metadata.id)


def records(csms: CsmsClient) -> list[m.Record]:
    return list(csms.list_notification_records(m.ListNotificationRecordsRequest()).records or [])


def settled_records(csms: CsmsClient, wanted: int) -> list[m.Record]:
    """The records once at least ``wanted`` exist and none is still PENDING."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        found = records(csms)
        if len(found) >= wanted and all(r.notification_status != "PENDING" for r in found):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"expected {wanted} settled records, got {[r.to_dict() for r in found]}")
        time.sleep(0.05)


def signed_get(server: RunningServer, path: str, query: list[tuple[str, str]]) -> httpx.Response:
    """A GET with query parameters the SDK itself never sends, signed as the SDK signs."""
    request = SdkRequest(
        method="GET",
        schema="http",
        host=server.endpoint,
        resource_path=f"/v1/{project_id(server)}/{path}",
        query_params=query,
        header_params={"Content-Type": "application/json", "X-Project-Id": project_id(server)},
        body=b"",
    )
    Signer(BasicCredentials(ROOT_AK, ROOT_SECRET, project_id(server))).sign(request)
    return httpx.get(server.url + request.uri, headers=request.header_params)


# -- create, show, list ------------------------------------------------------------------------


def test_create_secret_event_answers_with_the_csms_event_model(
    server: RunningServer, csms: CsmsClient
) -> None:
    before = server.app.services.clock.now_ms()
    event = assert_shape(create_event(csms, "rotations", [CREATED, "SECRET_ROTATED"]))["event"]
    assert uuid.UUID(event["event_id"])
    assert (event["name"], event["state"]) == ("rotations", "ENABLED")
    assert event["event_types"] == [CREATED, "SECRET_ROTATED"]
    assert event["notification"] == {
        "target_type": "SMN",
        "target_id": "urn:smn:cn-north-4:0123:ops",
        "target_name": "ops",
    }
    assert before <= event["create_time"] == event["update_time"] <= server.app.services.clock.now_ms()


def test_show_secret_event_returns_what_create_returned(csms: CsmsClient) -> None:
    created = assert_shape(create_event(csms, "ev-1"))["event"]
    assert assert_shape(show_event(csms, "ev-1"))["event"] == created


def test_a_webhook_notification_keeps_its_url_in_target_id(csms: CsmsClient) -> None:
    hook = m.Notification(
        target_type="WEBHOOK", target_id="https://hooks.example/csms", target_name="ops hook"
    )
    create_event(csms, "to-webhook", notification=hook)
    notification = show_event(csms, "to-webhook").event.notification
    assert (notification.target_type, notification.target_id, notification.target_name) == (
        "WEBHOOK",
        "https://hooks.example/csms",
        "ops hook",
    )


def test_a_contact_group_notification_reads_back_as_contact_group(csms: CsmsClient) -> None:
    group = m.Notification(target_type="CONTACT_GROUP", target_id="", target_name="dba")
    create_event(csms, "to-group", notification=group)
    notification = show_event(csms, "to-group").event.notification
    assert (notification.target_type, notification.target_id, notification.target_name) == (
        "CONTACT_GROUP",
        "dba",
        "dba",
    )


def test_list_secret_events_pages_by_name(csms: CsmsClient) -> None:
    for name in ["delta", "alpha", "echo", "charlie", "bravo"]:
        create_event(csms, name)
    first = list_events(csms, limit="2")
    body = assert_shape(first)
    assert [e["name"] for e in body["events"]] == ["alpha", "bravo"]
    assert body["page_info"] == {"next_marker": "bravo", "previous_marker": "", "current_count": 2}
    second = assert_shape(list_events(csms, limit="2", marker="bravo"))
    assert [e["name"] for e in second["events"]] == ["charlie", "delta"]
    assert second["page_info"] == {"next_marker": "delta", "previous_marker": "bravo", "current_count": 2}
    last = assert_shape(list_events(csms, limit="2", marker="delta"))
    assert [e["name"] for e in last["events"]] == ["echo"]
    assert last["page_info"]["next_marker"] == ""
    everything = assert_shape(list_events(csms))
    assert [e["name"] for e in everything["events"]] == ["alpha", "bravo", "charlie", "delta", "echo"]
    assert everything["page_info"]["next_marker"] == ""


def test_list_secret_events_is_empty_without_events(csms: CsmsClient) -> None:
    body = assert_shape(list_events(csms))
    assert body == {"events": [], "page_info": {"next_marker": "", "previous_marker": "", "current_count": 0}}


# -- update and delete -------------------------------------------------------------------------


def test_update_secret_event_changes_what_it_names_and_keeps_the_rest(csms: CsmsClient) -> None:
    created = create_event(csms, "changing").event
    updated = assert_shape(update_event(csms, "changing", state="DISABLED"))["event"]
    assert (updated["state"], updated["event_types"]) == ("DISABLED", [CREATED])
    assert updated["notification"]["target_name"] == "ops"
    assert (updated["event_id"], updated["create_time"]) == (created.event_id, created.create_time)
    assert updated["update_time"] >= created.update_time
    hook = m.Notification(target_type="WEBHOOK", target_id="http://127.0.0.1:9/x", target_name="")
    again = update_event(
        csms, "changing", event_types=["SECRET_DELETED", "SECRET_ROTATED_FAILED"], notification=hook
    )
    assert again.event.event_types == ["SECRET_DELETED", "SECRET_ROTATED_FAILED"]
    assert (again.event.state, again.event.notification.target_type) == ("DISABLED", "WEBHOOK")
    assert show_event(csms, "changing").event.to_dict() == again.event.to_dict()


def test_delete_secret_event_answers_204_and_the_event_is_gone(csms: CsmsClient) -> None:
    create_event(csms, "short-lived")
    response = csms.delete_secret_event(m.DeleteSecretEventRequest(event_name="short-lived"))
    assert response.status_code == 204
    assert fails(lambda: show_event(csms, "short-lived")).error_code == "CSMS.0005"
    assert list_events(csms).events == []


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"name": "has space"}, "name must be 1-64"),
        ({"name": "x" * 65}, "name is too long"),
        ({"event_types": ["SECRET_CREATED"]}, "event type 'SECRET_CREATED' is not one of"),
        ({"event_types": []}, "at least one event type"),
        ({"event_types": [CREATED] * 13}, "at most 12"),
        ({"state": "ON"}, "state must be ENABLED or DISABLED"),
        ({"notification": m.Notification(target_type="FUNCTIONGRAPH", target_id="f")}, "is not supported"),
        (
            {"notification": m.Notification(target_type="WEBHOOK", target_id="not a url")},
            "WEBHOOK is its http(s) URL",
        ),
        ({"notification": m.Notification(target_type="SMN", target_id="urn:smn:x")}, "target_name"),
        ({"notification": None}, "notification is mandatory"),
        ({"state": None}, "state is mandatory"),
    ],
    ids=[
        "bad-name",
        "long-name",
        "bad-type",
        "no-types",
        "too-many-types",
        "bad-state",
        "unknown-target-type",
        "webhook-without-url",
        "smn-without-group",
        "no-notification",
        "no-state",
    ],
)
def test_create_secret_event_refuses_bad_fields_with_csms_0002(
    csms: CsmsClient, fields: dict[str, Any], needle: str
) -> None:
    given: dict[str, Any] = {
        "name": "ev",
        "event_types": [CREATED],
        "state": "ENABLED",
        "notification": smn(),
    }
    body = m.CreateSecretEventRequestBody(**{**given, **fields})
    error = fails(lambda: csms.create_secret_event(m.CreateSecretEventRequest(body=body)))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert needle in error.error_msg
    assert list_events(csms).events == []


def test_a_duplicate_name_is_refused_with_csms_0409(csms: CsmsClient) -> None:
    create_event(csms, "twice")
    error = fails(lambda: create_event(csms, "twice", ["SECRET_DELETED"]))
    assert (error.status_code, error.error_code) == (409, "CSMS.0409")
    assert "'twice' already exists" in error.error_msg
    assert show_event(csms, "twice").event.event_types == [CREATED]


def test_unknown_secret_events_are_not_found(csms: CsmsClient) -> None:
    calls = [
        lambda: show_event(csms, "missing"),
        lambda: update_event(csms, "missing", state="ENABLED"),
        lambda: csms.delete_secret_event(m.DeleteSecretEventRequest(event_name="missing")),
    ]
    for call in calls:
        error = fails(call)
        assert (error.status_code, error.error_code) == (404, "CSMS.0005")
        assert "'missing' does not exist" in error.error_msg


def test_update_refuses_a_bad_event_type_and_keeps_the_event(csms: CsmsClient) -> None:
    create_event(csms, "kept")
    error = fails(lambda: update_event(csms, "kept", event_types=["NOPE"]))
    assert error.error_code == "CSMS.0002"
    assert show_event(csms, "kept").event.event_types == [CREATED]


# -- notifications, end to end -----------------------------------------------------------------


def test_a_subscribed_secret_notifies_the_webhook_and_the_record_shows_success(
    delivering: RunningServer, csms: CsmsClient, hook: LocalReceiver
) -> None:
    target = m.Notification(target_type="WEBHOOK", target_id=hook.url, target_name="ops hook")
    create_event(csms, "versions", [CREATED], target)
    create_event(csms, "off", [CREATED], target, state="DISABLED")
    create_secret(csms, "watched", ["versions"])
    create_secret(csms, "unwatched")
    create_secret(csms, "muted", ["off"])
    new_version(csms, "unwatched")
    new_version(csms, "muted")
    version = new_version(csms, "watched")

    found = settled_records(csms, 2)
    received = hook.wait_for(2, TIMEOUT_S)
    assert len(found) == len(received) == 2, "only the subscribed secret notifies"
    key = delivering.app.services.webhook_key
    for request in received:  # the receiver keeps header names in lower case
        stamp, signature = (
            request.headers[TIMESTAMP_HEADER.lower()],
            request.headers[SIGNATURE_HEADER.lower()],
        )
        assert verify(key, stamp, request.body, signature)
    payloads = [r.json() for r in received]
    assert {p["name"] for p in payloads} == {"Secret:SecretVersion:Created"}
    assert sorted(p["content"]["versionId"] for p in payloads) == ["v1", version]
    assert {p["content"]["secretName"] for p in payloads} == {"watched"}

    newest = found[0]
    assert (newest.event_name, newest.trigger_event_type) == ("versions", CREATED)
    assert (newest.secret_name, newest.secret_type) == ("watched", "COMMON")
    assert (newest.notification_status, newest.notification_target_id) == ("SUCCESS", hook.url)
    assert hook.url == newest.notification_target_name
    assert newest.notification_content is not None
    assert '"versionId":"' + version + '"' in newest.notification_content
    assert found[0].create_time >= found[1].create_time


def test_list_notification_records_has_the_sdk_shape(
    delivering: RunningServer, csms: CsmsClient, hook: LocalReceiver
) -> None:
    create_event(csms, "shaped", [CREATED], m.Notification(target_type="WEBHOOK", target_id=hook.url))
    create_secret(csms, "shaped-secret", ["shaped"])
    settled_records(csms, 1)
    body = assert_shape(csms.list_notification_records(m.ListNotificationRecordsRequest()))
    assert body["page_info"] == {"next_marker": "", "previous_marker": "", "current_count": 1}
    assert isinstance(body["records"][0]["create_time"], int)


def test_a_missing_contact_group_makes_an_invalid_record(delivering: RunningServer, csms: CsmsClient) -> None:
    create_event(csms, "to-nobody", [CREATED], smn(group="nobody", topic="urn:smn:cn-north-4:0123:nobody"))
    create_secret(csms, "orphan", ["to-nobody"])
    [record] = settled_records(csms, 1)
    assert record.notification_status == "INVALID"
    assert (record.notification_target_id, record.notification_target_name) == (
        "urn:smn:cn-north-4:0123:nobody",
        "nobody",
    )


def test_notification_records_page_newest_first_with_limit_and_marker(
    delivering: RunningServer, csms: CsmsClient
) -> None:
    create_event(csms, "paged", [CREATED], smn(group="nobody"))
    create_secret(csms, "paged-secret", ["paged"])
    versions = ["v1"] + [new_version(csms, "paged-secret") for _ in range(2)]
    settled_records(csms, 3)

    path = "csms/notification-records"
    first = signed_get(delivering, path, [("limit", "2")]).json()
    assert not shape_faults(first, "ListNotificationRecordsResponse")
    assert [_version_of(r) for r in first["records"]] == versions[:0:-1]
    info = first["page_info"]
    assert (info["previous_marker"], info["current_count"]) == ("", 2)
    assert info["next_marker"].isdigit()
    rest = signed_get(delivering, path, [("limit", "2"), ("marker", info["next_marker"])]).json()
    assert [_version_of(r) for r in rest["records"]] == ["v1"]
    assert rest["page_info"] == {
        "next_marker": "",
        "previous_marker": info["next_marker"],
        "current_count": 1,
    }
    bad = signed_get(delivering, path, [("marker", "abc")])
    assert (bad.status_code, bad.json()["error_code"]) == (400, "CSMS.0002")


def _version_of(record: dict[str, Any]) -> str:
    return str(json.loads(record["notification_content"])["content"]["versionId"])


# -- policies ----------------------------------------------------------------------------------


def test_policies_name_csms_event_actions_and_event_resources(
    server: RunningServer, csms: CsmsClient
) -> None:
    for name in ("mine", "theirs"):
        create_event(csms, name)
    root = server.client()
    root.vigil("CreateUser", {"UserName": "watcher"})
    key = root.vigil("CreateAccessKey", {"UserName": "watcher"})["AccessKey"]
    resource = f"acs:csms:cn-hangzhou:{server.account_id}:event/mine"
    statement = {"Effect": "Allow", "Action": ["csms:ShowSecretEvent"], "Resource": resource}
    document = {"Version": "1", "Statement": [statement]}
    root.vigil("CreatePolicy", {"PolicyName": "events-read", "PolicyDocument": json.dumps(document)})
    root.vigil("AttachPolicyToUser", {"PolicyName": "events-read", "UserName": "watcher"})
    user = csms_client(server, key["AccessKeyId"], key["AccessKeySecret"])

    assert show_event(user, "mine").event.name == "mine"
    denied = fails(lambda: show_event(user, "theirs"))
    assert (denied.status_code, denied.error_code) == (403, "CSMS.0403")
    assert (
        f"csms:ShowSecretEvent on acs:csms:cn-hangzhou:{server.account_id}:event/theirs" in denied.error_msg
    )
    listing = fails(lambda: list_events(user))
    assert f"csms:ListSecretEvents on acs:csms:cn-hangzhou:{server.account_id}:event/*" in listing.error_msg
    assert fails(lambda: records(user)).error_code == "CSMS.0403"
