"""Rotation settings, RotateSecret refusals, rotation history and secret consumers over the API."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import RunningServer
from vigil.client import VigilApiError
from vigil.testing import LocalReceiver, Reply

DAY = 86_400


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def vigil_fails(call: Callable[[], Any]) -> VigilApiError:
    with pytest.raises(VigilApiError) as info:
        call()
    return info.value


def create(kms: Any, name: str, **fields: Any) -> Any:
    request = models.CreateSecretRequest(secret_name=name, secret_data="value-1", version_id="v1", **fields)
    return kms.create_secret(request).body


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    """A rotation webhook that answers every step with 200 unless a test scripts otherwise."""
    with LocalReceiver() as receiver:
        yield receiver


def parse_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def rotations(server: RunningServer, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.client().vigil("ListSecretRotations", {"SecretName": name})[
        "Rotations"
    ]["Rotation"]
    return found


def value_of(kms: Any, name: str, **fields: Any) -> Any:
    return kms.get_secret_value(models.GetSecretValueRequest(secret_name=name, **fields)).body


def versions_of(kms: Any, name: str) -> list[str]:
    request = models.ListSecretVersionIdsRequest(secret_name=name, include_deprecated="true")
    return [v.version_id for v in kms.list_secret_version_ids(request).body.version_ids.version_id]


# -- automatic rotation settings ---------------------------------------------------------------


def test_create_secret_refuses_automatic_rotation_for_a_secret_nothing_can_rotate(kms: Any) -> None:
    error = fails(lambda: create(kms, "plain", enable_automatic_rotation=True, rotation_interval="30d"))
    assert (error.code, error.status_code) == ("Rejected.UnsupportedOperation", 400)
    assert "automatic rotation" in error.message and "RotationWebhook" in error.message
    assert (
        fails(lambda: kms.describe_secret(models.DescribeSecretRequest(secret_name="plain"))).status_code
        == 404
    )


def test_update_secret_rotation_policy_refuses_to_enable_rotation_without_a_rotator(kms: Any) -> None:
    create(kms, "manual-only")
    request = models.UpdateSecretRotationPolicyRequest(
        secret_name="manual-only", enable_automatic_rotation=True, rotation_interval="7d"
    )
    error = fails(lambda: kms.update_secret_rotation_policy(request))
    assert error.code == "Rejected.UnsupportedOperation" and "manual-only" in error.message
    body = kms.describe_secret(models.DescribeSecretRequest(secret_name="manual-only")).body
    assert (body.automatic_rotation, body.rotation_interval, body.next_rotation_date) == ("Disabled", "", "")


def test_disabling_automatic_rotation_is_always_allowed(kms: Any) -> None:
    create(kms, "quiet")
    request = models.UpdateSecretRotationPolicyRequest(secret_name="quiet", enable_automatic_rotation=False)
    assert kms.update_secret_rotation_policy(request).body.secret_name == "quiet"
    body = kms.describe_secret(models.DescribeSecretRequest(secret_name="quiet")).body
    assert (body.automatic_rotation, body.next_rotation_date) == ("Disabled", "")


def test_update_secret_rotation_policy_checks_the_interval_and_the_secret(kms: Any) -> None:
    create(kms, "interval")
    bad = models.UpdateSecretRotationPolicyRequest(
        secret_name="interval", enable_automatic_rotation=False, rotation_interval="400d"
    )
    error = fails(lambda: kms.update_secret_rotation_policy(bad))
    assert error.code == "InvalidParameter" and "RotationInterval" in error.message
    missing = models.UpdateSecretRotationPolicyRequest(secret_name="ghost", enable_automatic_rotation=True)
    assert fails(lambda: kms.update_secret_rotation_policy(missing)).code == "Forbidden.ResourceNotFound"


# -- RotateSecret --------------------------------------------------------------------------------


def test_rotate_secret_on_a_generic_secret_without_a_webhook_is_refused_and_changes_nothing(
    server: RunningServer, kms: Any
) -> None:
    create(kms, "static")
    error = fails(
        lambda: kms.rotate_secret(models.RotateSecretRequest(secret_name="static", version_id="v2"))
    )
    assert (error.code, error.status_code) == ("Rejected.UnsupportedOperation", 400)
    assert "cannot be rotated" in error.message and "RotationWebhook" in error.message
    assert versions_of(kms, "static") == ["v1"]
    value = kms.get_secret_value(models.GetSecretValueRequest(secret_name="static")).body
    assert (value.version_id, value.secret_data) == ("v1", "value-1")
    assert (
        server.client().vigil("ListSecretRotations", {"SecretName": "static"})["Rotations"]["Rotation"] == []
    )


def test_rotate_secret_on_an_unknown_secret_is_not_found(kms: Any) -> None:
    error = fails(lambda: kms.rotate_secret(models.RotateSecretRequest(secret_name="ghost", version_id="v2")))
    assert (error.code, error.status_code) == ("Forbidden.ResourceNotFound", 404)


def test_list_secret_rotations_is_empty_for_an_account_without_rotations(server: RunningServer) -> None:
    answer = server.client().vigil("ListSecretRotations")
    assert answer["Rotations"] == {"Rotation": []}


def test_rotate_secret_through_a_webhook_makes_the_new_version_current(
    server: RunningServer, kms: Any, hook: LocalReceiver
) -> None:
    hook.push(Reply(200, {"SecretData": "rotated-by-hook"}))
    create(kms, "app/token", extended_config={"RotationWebhook": hook.url})
    body = kms.rotate_secret(models.RotateSecretRequest(secret_name="app/token", version_id="v2")).body
    assert body.arn == f"acs:kms:cn-hangzhou:{server.account_id}:secret/app/token"
    assert (body.secret_name, body.version_id) == ("app/token", "v2")
    assert [r.json()["Step"] for r in hook.requests] == [
        "createSecret",
        "setSecret",
        "testSecret",
        "finishSecret",
    ]
    current = value_of(kms, "app/token")
    assert (current.version_id, current.secret_data) == ("v2", "rotated-by-hook")
    assert value_of(kms, "app/token", version_stage="ACSPrevious").secret_data == "value-1"
    assert current.last_rotation_date != ""
    [record] = rotations(server, "app/token")
    assert (record["Status"], record["Trigger"], record["VersionId"], record["ErrorCode"]) == (
        "Success",
        "Manual",
        "v2",
        "",
    )
    assert record["FinishTime"] >= record["StartTime"] != ""


def test_a_failed_rotation_answers_its_code_and_leaves_the_current_version_untouched(
    server: RunningServer, kms: Any, hook: LocalReceiver
) -> None:
    hook.push(Reply(200, {"SecretData": "never-promoted-value"}), Reply(500))
    create(kms, "fragile", extended_config={"RotationWebhook": hook.url})
    error = fails(
        lambda: kms.rotate_secret(models.RotateSecretRequest(secret_name="fragile", version_id="v2"))
    )
    assert (error.code, error.status_code) == ("Webhook.StepFailed", 400)
    assert "setSecret" in error.message and "never-promoted-value" not in str(error.data)
    assert versions_of(kms, "fragile") == ["v1"]
    assert (value_of(kms, "fragile").version_id, value_of(kms, "fragile").secret_data) == ("v1", "value-1")
    [record] = rotations(server, "fragile")
    assert (record["Status"], record["ErrorCode"]) == ("Failure", "Webhook.StepFailed")
    assert "setSecret" in record["ErrorMessage"]
    hook.push(Reply(200, {"SecretData": "second-try"}))
    kms.rotate_secret(models.RotateSecretRequest(secret_name="fragile", version_id="v2"))
    assert value_of(kms, "fragile").secret_data == "second-try"


def test_rotate_secret_refuses_a_version_id_that_already_exists(kms: Any, hook: LocalReceiver) -> None:
    create(kms, "reuse", extended_config={"RotationWebhook": hook.url})
    error = fails(lambda: kms.rotate_secret(models.RotateSecretRequest(secret_name="reuse", version_id="v1")))
    assert (error.code, error.status_code) == ("Rejected.ResourceExist", 409)
    assert hook.requests == []


def test_automatic_rotation_of_a_webhook_secret_runs_when_the_interval_passes(
    server: RunningServer, kms: Any, hook: LocalReceiver
) -> None:
    body = create(
        kms,
        "auto",
        extended_config={"RotationWebhook": hook.url},
        enable_automatic_rotation=True,
        rotation_interval="7d",
    )
    assert (body.automatic_rotation, body.rotation_interval) == ("Enabled", "604800s")
    created = parse_date(
        kms.describe_secret(models.DescribeSecretRequest(secret_name="auto")).body.create_time
    )
    assert timedelta(days=7) <= parse_date(body.next_rotation_date) - created < timedelta(days=7, minutes=1)
    server.advance(7 * DAY - 60)
    assert hook.requests == []
    server.advance(61)
    assert value_of(kms, "auto").version_id != "v1"
    [record] = rotations(server, "auto")
    assert (record["Status"], record["Trigger"]) == ("Success", "Automatic")


def test_update_secret_rotation_policy_enables_and_disables_rotation_of_a_rotatable_secret(
    kms: Any, hook: LocalReceiver
) -> None:
    create(kms, "switch", extended_config={"RotationWebhook": hook.url})
    enable = models.UpdateSecretRotationPolicyRequest(
        secret_name="switch", enable_automatic_rotation=True, rotation_interval="12h"
    )
    assert kms.update_secret_rotation_policy(enable).body.secret_name == "switch"
    described = kms.describe_secret(models.DescribeSecretRequest(secret_name="switch")).body
    assert (described.automatic_rotation, described.rotation_interval) == ("Enabled", "43200s")
    assert described.next_rotation_date != ""
    disable = models.UpdateSecretRotationPolicyRequest(secret_name="switch", enable_automatic_rotation=False)
    kms.update_secret_rotation_policy(disable)
    described = kms.describe_secret(models.DescribeSecretRequest(secret_name="switch")).body
    assert (described.automatic_rotation, described.next_rotation_date) == ("Disabled", "")


# -- secret consumers ----------------------------------------------------------------------------


def test_secret_consumers_are_registered_listed_replaced_and_deleted(server: RunningServer, kms: Any) -> None:
    create(kms, "shared")
    root = server.client()
    put = {"SecretName": "shared", "ConsumerName": "billing", "WebhookUrl": "http://127.0.0.1:9/hook"}
    assert root.vigil("PutSecretConsumer", put)["ConsumerName"] == "billing"
    root.vigil("PutSecretConsumer", {**put, "ConsumerName": "audit", "WebhookUrl": "https://audit.example/h"})
    root.vigil("PutSecretConsumer", {**put, "WebhookUrl": "http://127.0.0.1:9/hook2"})
    listed = root.vigil("ListSecretConsumers", {"SecretName": "shared"})
    assert listed["SecretName"] == "shared"
    assert [(c["ConsumerName"], c["WebhookUrl"]) for c in listed["Consumers"]["Consumer"]] == [
        ("audit", "https://audit.example/h"),
        ("billing", "http://127.0.0.1:9/hook2"),
    ]
    assert all(c["CreateTime"].endswith("Z") for c in listed["Consumers"]["Consumer"])
    root.vigil("DeleteSecretConsumer", {"SecretName": "shared", "ConsumerName": "audit"})
    remaining = root.vigil("ListSecretConsumers", {"SecretName": "shared"})["Consumers"]["Consumer"]
    assert [c["ConsumerName"] for c in remaining] == ["billing"]
    notices = root.vigil("ListSecretConsumerNotices", {"SecretName": "shared"})
    assert notices == {**notices, "SecretName": "shared", "Notices": {"Notice": []}}


def test_secret_consumer_calls_refuse_bad_input_and_unknown_names(server: RunningServer, kms: Any) -> None:
    create(kms, "watched")
    root = server.client()
    bad_url = vigil_fails(
        lambda: root.vigil(
            "PutSecretConsumer", {"SecretName": "watched", "ConsumerName": "c", "WebhookUrl": "ftp://x"}
        )
    )
    assert (bad_url.status, bad_url.code) == (400, "InvalidParameter") and "WebhookUrl" in bad_url.message
    no_secret = vigil_fails(
        lambda: root.vigil(
            "PutSecretConsumer", {"SecretName": "ghost", "ConsumerName": "c", "WebhookUrl": "http://h/"}
        )
    )
    assert (no_secret.status, no_secret.code) == (404, "Forbidden.ResourceNotFound")
    no_consumer = vigil_fails(
        lambda: root.vigil("DeleteSecretConsumer", {"SecretName": "watched", "ConsumerName": "nobody"})
    )
    assert no_consumer.status == 404 and "nobody" in no_consumer.message
    missing = vigil_fails(lambda: root.vigil("PutSecretConsumer", {"SecretName": "watched"}))
    assert missing.code == "MissingParameter" and "ConsumerName" in missing.message


def test_secret_consumer_calls_are_authorised_on_the_secret_arn(server: RunningServer, kms: Any) -> None:
    create(kms, "team/db")
    create(kms, "other/db")
    root = server.client()
    policy = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "vigil:*SecretConsumer*",
                "Resource": f"acs:kms:*:{server.account_id}:secret/team/*",
            }
        ],
    }
    root.vigil("CreatePolicy", {"PolicyName": "consumers", "PolicyDocument": json.dumps(policy)})
    root.vigil("CreateUser", {"UserName": "ops"})
    root.vigil("AttachPolicyToUser", {"PolicyName": "consumers", "UserName": "ops"})
    key = root.vigil("CreateAccessKey", {"UserName": "ops"})["AccessKey"]
    ops = server.client(key["AccessKeyId"], key["AccessKeySecret"])
    hook = {"ConsumerName": "c", "WebhookUrl": "http://127.0.0.1:9/"}
    ops.vigil("PutSecretConsumer", {"SecretName": "team/db", **hook})
    denied = vigil_fails(lambda: ops.vigil("PutSecretConsumer", {"SecretName": "other/db", **hook}))
    assert (denied.status, denied.code) == (403, "Forbidden.RAM")
    assert "vigil:PutSecretConsumer" in denied.message and "secret/other/db" in denied.message


def test_a_rotation_notifies_each_registered_consumer_once(
    server: RunningServer, kms: Any, hook: LocalReceiver
) -> None:
    create(kms, "notified", extended_config={"RotationWebhook": hook.url})
    with LocalReceiver() as consumer:
        server.client().vigil(
            "PutSecretConsumer",
            {"SecretName": "notified", "ConsumerName": "billing", "WebhookUrl": consumer.url},
        )
        kms.rotate_secret(models.RotateSecretRequest(secret_name="notified", version_id="v2"))
        server.advance(1)
        [notice] = consumer.wait_for(1)
        assert notice.json()["SecretName"] == "notified" and notice.json()["VersionId"] == "v2"
    answer = server.client().vigil("ListSecretConsumerNotices", {"SecretName": "notified"})
    [row] = answer["Notices"]["Notice"]
    assert (row["ConsumerName"], row["VersionId"], row["Status"], row["Attempts"]) == (
        "billing",
        "v2",
        "Success",
        1,
    )
