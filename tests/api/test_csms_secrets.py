"""Secrets through the unmodified Huawei CSMS SDK: create, show, list, update, delete, scheduled deletion, restore."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import assert_shape, csms_client, fails
from tests.conftest import RunningServer

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    return csms_client(server)


def create(csms: CsmsClient, name: str, value: str = "s3cret-value", **fields: Any) -> Any:
    body = m.CreateSecretRequestBody(name=name, secret_string=value, **fields)
    return csms.create_secret(m.CreateSecretRequest(body=body))


def show(csms: CsmsClient, name: str) -> Any:
    return csms.show_secret(m.ShowSecretRequest(secret_name=name))


def latest(csms: CsmsClient, name: str) -> Any:
    return csms.show_secret_version(m.ShowSecretVersionRequest(secret_name=name, version_id="latest"))


def now_ms(server: RunningServer) -> int:
    return server.app.services.clock.now_ms()


# -- create and show ---------------------------------------------------------------------------


def test_create_secret_answers_with_the_csms_secret_model(server: RunningServer, csms: CsmsClient) -> None:
    before = now_ms(server)
    response = create(
        csms,
        "app-db",
        description="orders database \u00fc",
        rotation_period="30d",
        event_subscriptions=["ev-1"],
        enterprise_project_id="ep-7",
    )
    secret = assert_shape(response)["secret"]
    assert (secret["name"], secret["state"], secret["secret_type"]) == ("app-db", "ENABLED", "COMMON")
    assert secret["description"] == "orders database \u00fc"
    assert secret["kms_key_id"].startswith("key-")
    assert before <= secret["create_time"] <= now_ms(server)
    assert secret["update_time"] == secret["create_time"]
    assert secret["scheduled_delete_time"] is None
    assert (secret["auto_rotation"], secret["rotation_period"]) == (False, "30d")
    assert secret["event_subscriptions"] == ["ev-1"]
    assert secret["enterprise_project_id"] == "ep-7"
    assert response.status_code == 200


def test_show_secret_returns_what_create_returned(csms: CsmsClient) -> None:
    created = assert_shape(create(csms, "payments"))["secret"]
    assert assert_shape(show(csms, "payments"))["secret"] == created


def test_latest_version_is_the_text_value_labelled_syscurrent(csms: CsmsClient) -> None:
    create(csms, "api-token", "tok-\u00e9-123")
    version = assert_shape(latest(csms, "api-token"))["version"]
    assert version["secret_string"] == "tok-\u00e9-123"
    assert version["secret_binary"] is None
    meta = version["version_metadata"]
    assert (meta["id"], meta["secret_name"], meta["version_stages"]) == ("v1", "api-token", ["SYSCURRENT"])
    assert meta["expire_time"] is None


def test_binary_secret_round_trips_as_base64(csms: CsmsClient) -> None:
    blob = bytes(range(256))
    body = m.CreateSecretRequestBody(name="tls-key", secret_binary=base64.b64encode(blob).decode())
    csms.create_secret(m.CreateSecretRequest(body=body))
    version = assert_shape(latest(csms, "tls-key"))["version"]
    assert base64.b64decode(version["secret_binary"]) == blob
    assert version["secret_string"] is None


def test_secret_names_with_a_slash_travel_encoded_in_the_path(csms: CsmsClient) -> None:
    create(csms, "team/app-db", "nested")
    assert show(csms, "team/app-db").secret.name == "team/app-db"
    assert latest(csms, "team/app-db").version.secret_string == "nested"


def test_create_secret_with_a_customer_key_encrypts_under_that_key(
    server: RunningServer, csms: CsmsClient
) -> None:
    key_id = server.client().call("CreateKey")["KeyMetadata"]["KeyId"]
    secret = create(csms, "with-key", kms_key_id=key_id).secret
    assert secret.kms_key_id == key_id
    assert latest(csms, "with-key").version.version_metadata.kms_key_id == key_id


def test_create_secret_with_an_unknown_or_disabled_key_is_refused(
    server: RunningServer, csms: CsmsClient
) -> None:
    unknown = fails(lambda: create(csms, "no-key", kms_key_id="key-doesnotexist0000"))
    assert (unknown.status_code, unknown.error_code) == (404, "CSMS.0005")
    key_id = server.client().call("CreateKey")["KeyMetadata"]["KeyId"]
    server.client().call("DisableKey", {"KeyId": key_id})
    disabled = fails(lambda: create(csms, "off-key", kms_key_id=key_id))
    assert (disabled.status_code, disabled.error_code) == (400, "CSMS.0400")
    assert key_id in disabled.error_msg


def test_create_secret_needs_exactly_one_of_string_and_binary(csms: CsmsClient) -> None:
    both = m.CreateSecretRequestBody(name="x", secret_string="a", secret_binary="Yg==")
    error = fails(lambda: csms.create_secret(m.CreateSecretRequest(body=both)))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert error.error_msg == "give exactly one of secret_string and secret_binary"
    neither = m.CreateSecretRequestBody(name="x")
    assert fails(lambda: csms.create_secret(m.CreateSecretRequest(body=neither))).error_code == "CSMS.0002"


def test_invalid_base64_is_refused_without_echoing_the_value(csms: CsmsClient) -> None:
    body = m.CreateSecretRequestBody(name="x", secret_binary="not*base64*TOPSECRET")
    error = fails(lambda: csms.create_secret(m.CreateSecretRequest(body=body)))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert "TOPSECRET" not in error.error_msg
    assert "secret_binary must be valid base64" in error.error_msg


def test_creating_an_existing_name_is_a_conflict(csms: CsmsClient) -> None:
    create(csms, "dup")
    error = fails(lambda: create(csms, "dup"))
    assert (error.status_code, error.error_code) == (409, "CSMS.0409")
    assert "'dup' already exists" in error.error_msg


def test_unknown_secret_types_are_refused_with_the_supported_ones_named(csms: CsmsClient) -> None:
    error = fails(lambda: create(csms, "gauss", secret_type="GaussDB-FG"))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert "COMMON" in error.error_msg and "RDS-FG" in error.error_msg


def test_rds_fg_is_stored_as_an_rds_secret_with_rotation_config_as_extended_config(
    server: RunningServer, csms: CsmsClient
) -> None:
    config = {
        "SecretSubType": "SingleUser",
        "DBEngine": "postgresql",
        "Host": "127.0.0.1",
        "Port": 5432,
        "Database": "orders",
        "AdminSecretName": "pg-admin",
    }
    value = json.dumps({"AccountName": "app", "AccountPassword": "Pw-1234567890"})
    secret = create(csms, "orders-db", value, secret_type="RDS-FG", rotation_config=json.dumps(config)).secret
    assert secret.secret_type == "RDS-FG"
    assert json.loads(secret.rotation_config) == config
    stored = server.app.services.secrets.describe_secret(server.account_id, "orders-db")
    assert (stored.secret_type.value, stored.extended_config) == ("Rds", config)


def test_auto_rotation_without_a_period_is_refused(csms: CsmsClient) -> None:
    error = fails(lambda: create(csms, "auto", auto_rotation=True))
    assert error.error_msg == "rotation_period is mandatory when auto_rotation is true, e.g. 30d"


def test_more_than_one_event_subscription_is_refused(csms: CsmsClient) -> None:
    error = fails(lambda: create(csms, "subs", event_subscriptions=["a", "b"]))
    assert error.error_msg == "event_subscriptions has 2 entries; at most 1 are allowed"


# -- list ----------------------------------------------------------------------------------------


def test_list_secrets_pages_by_name_with_the_last_name_as_marker(csms: CsmsClient) -> None:
    for name in ("e", "a", "d", "b", "c"):
        create(csms, f"page-{name}")
    pages: list[list[str]] = []
    marker = None
    infos = []
    while True:
        body = assert_shape(csms.list_secrets(m.ListSecretsRequest(limit="2", marker=marker)))
        pages.append([s["name"] for s in body["secrets"]])
        infos.append(body["page_info"])
        marker = body["page_info"]["next_marker"]
        if not marker:
            break
    assert pages == [["page-a", "page-b"], ["page-c", "page-d"], ["page-e"]]
    assert infos[0] == {"next_marker": "page-b", "previous_marker": "", "current_count": 2}
    assert infos[1] == {"next_marker": "page-d", "previous_marker": "page-b", "current_count": 2}
    assert infos[2] == {"next_marker": "", "previous_marker": "page-d", "current_count": 1}


def test_list_secrets_filters_by_event_subscription(csms: CsmsClient) -> None:
    create(csms, "watched-1", event_subscriptions=["rotations"])
    create(csms, "quiet")
    create(csms, "watched-2", event_subscriptions=["rotations"])
    body = csms.list_secrets(m.ListSecretsRequest(event_name="rotations", limit="1"))
    assert [s.name for s in body.secrets] == ["watched-1"]
    assert body.page_info.next_marker == "watched-1"
    rest = csms.list_secrets(m.ListSecretsRequest(event_name="rotations", marker="watched-1"))
    assert [s.name for s in rest.secrets] == ["watched-2"]
    assert rest.page_info.next_marker == ""


def test_list_secrets_refuses_a_limit_out_of_range(csms: CsmsClient) -> None:
    error = fails(lambda: csms.list_secrets(m.ListSecretsRequest(limit="0")))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert error.error_msg == "limit must be between 1 and 200, got 0"


# -- update --------------------------------------------------------------------------------------


def test_update_secret_changes_description_subscriptions_and_rotation(
    server: RunningServer, csms: CsmsClient
) -> None:
    create(csms, "rotating", rotation_config=json.dumps({"RotationWebhook": "http://127.0.0.1:9/hook"}))
    body = m.UpdateSecretRequestBody(
        description="new words", auto_rotation=True, rotation_period="12h", event_subscriptions=["ev"]
    )
    response = csms.update_secret(m.UpdateSecretRequest(secret_name="rotating", body=body))
    secret = assert_shape(response)["secret"]
    assert (secret["description"], secret["event_subscriptions"]) == ("new words", ["ev"])
    assert (secret["auto_rotation"], secret["rotation_period"]) == (True, "12h")
    assert abs(secret["next_rotation_time"] - (now_ms(server) + 12 * HOUR_MS)) < 60_000
    off = csms.update_secret(
        m.UpdateSecretRequest(secret_name="rotating", body=m.UpdateSecretRequestBody(auto_rotation=False))
    ).secret
    assert (off.auto_rotation, off.rotation_period, off.next_rotation_time) == (False, "12h", None)
    assert off.description == "new words"


def test_update_secret_refuses_a_function_urn(csms: CsmsClient) -> None:
    create(csms, "fg")
    body = m.UpdateSecretRequestBody(rotation_func_urn="urn:fss:cn-north-4:x:function:default:rotate")
    error = fails(lambda: csms.update_secret(m.UpdateSecretRequest(secret_name="fg", body=body)))
    assert error.error_code == "CSMS.0002"
    assert "RotationWebhook" in error.error_msg


# -- delete, scheduled deletion, restore --------------------------------------------------------


def test_delete_secret_destroys_it_at_once_with_204(csms: CsmsClient) -> None:
    create(csms, "gone")
    response = csms.delete_secret(m.DeleteSecretRequest(secret_name="gone"))
    assert (response.status_code, response.raw_content) == (204, b"")
    error = fails(lambda: show(csms, "gone"))
    assert (error.status_code, error.error_code) == (404, "CSMS.0005")


def test_scheduled_deletion_marks_pending_and_destroys_after_the_window(
    server: RunningServer, csms: CsmsClient
) -> None:
    create(csms, "doomed")
    request = m.DeleteSecretForScheduleRequest(
        secret_name="doomed", body=m.DeleteSecretForScheduleRequestBody(recovery_window_in_days=7)
    )
    secret = assert_shape(csms.delete_secret_for_schedule(request))["secret"]
    assert secret["state"] == "PENDING_DELETE"
    assert abs(secret["scheduled_delete_time"] - (now_ms(server) + 7 * DAY_MS)) < 60_000
    error = fails(lambda: latest(csms, "doomed"))
    assert (error.status_code, error.error_code) == (400, "CSMS.0103")
    server.advance(6 * 86_400)
    assert show(csms, "doomed").secret.state == "PENDING_DELETE"
    server.advance(2 * 86_400)
    assert fails(lambda: show(csms, "doomed")).status_code == 404


def test_restore_secret_cancels_the_scheduled_deletion(server: RunningServer, csms: CsmsClient) -> None:
    create(csms, "saved", "keep-me")
    csms.delete_secret_for_schedule(
        m.DeleteSecretForScheduleRequest(
            secret_name="saved", body=m.DeleteSecretForScheduleRequestBody(recovery_window_in_days=7)
        )
    )
    restored = assert_shape(csms.restore_secret(m.RestoreSecretRequest(secret_name="saved")))["secret"]
    assert (restored["state"], restored["scheduled_delete_time"]) == ("ENABLED", None)
    server.advance(31 * 86_400)
    assert latest(csms, "saved").version.secret_string == "keep-me"


def test_restoring_a_secret_that_is_not_pending_deletion_is_refused(csms: CsmsClient) -> None:
    create(csms, "fine")
    error = fails(lambda: csms.restore_secret(m.RestoreSecretRequest(secret_name="fine")))
    assert (error.status_code, error.error_code) == (400, "CSMS.0108")
    assert error.error_msg == "secret 'fine' is not scheduled for deletion"


def test_recovery_windows_outside_7_to_30_days_are_refused(csms: CsmsClient) -> None:
    create(csms, "window")
    for days in (6, 31):
        request = m.DeleteSecretForScheduleRequest(
            secret_name="window", body=m.DeleteSecretForScheduleRequestBody(recovery_window_in_days=days)
        )
        error = fails(lambda request=request: csms.delete_secret_for_schedule(request))
        assert error.error_msg == f"recovery_window_in_days must be between 7 and 30, got {days}"


def test_scheduling_deletion_twice_says_it_is_already_pending(csms: CsmsClient) -> None:
    create(csms, "twice")
    request = m.DeleteSecretForScheduleRequest(
        secret_name="twice", body=m.DeleteSecretForScheduleRequestBody(recovery_window_in_days=30)
    )
    csms.delete_secret_for_schedule(request)
    error = fails(lambda: csms.delete_secret_for_schedule(request))
    assert (error.status_code, error.error_code) == (400, "CSMS.0103")


def test_timestamps_are_milliseconds(csms: CsmsClient) -> None:
    secret = create(csms, "ms").secret
    assert abs(secret.create_time - time.time() * 1000) < 60_000
