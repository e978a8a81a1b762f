"""Background actions (destruction at the end of a window, automatic rotation) are recorded in the
audit trail as ServiceEvents by the ``vigil`` service identity, driven by the test clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_kms20160120 import models

from tests.api.audit_records_support import service_events
from tests.conftest import RunningServer
from vigil.testing import LocalReceiver, Reply

DAY = 86_400


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    with LocalReceiver() as receiver:
        yield receiver


def _by_vigil(event: dict[str, Any], resource_type: str, resource_name: str) -> None:
    assert (event["eventType"], event["eventRW"], event["serviceName"]) == ("ServiceEvent", "Write", "Kms")
    assert (event["resourceType"], event["resourceName"]) == (resource_type, resource_name)
    identity = event["userIdentity"]
    assert (identity["type"], identity["principalId"], identity["accessKeyId"]) == ("service", "vigil", "")
    assert event["acsRegion"] == "cn-hangzhou" and event["sourceIpAddress"] == ""


def test_a_key_destroyed_at_the_end_of_its_window_is_recorded(server: RunningServer, kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    kms.schedule_key_deletion(models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    server.advance(7 * DAY - 60)
    assert service_events(server, "DestroyKey") == []
    server.advance(61)
    [event] = service_events(server, "DestroyKey")
    _by_vigil(event, "ACS::KMS::Key", key_id)
    assert event["requestParameters"]["KeyId"] == key_id
    assert event["requestParameters"]["DeleteDate"].endswith("Z")
    assert "errorCode" not in event


def test_an_automatic_key_rotation_is_recorded_with_the_new_version(server: RunningServer, kms: Any) -> None:
    request = models.CreateKeyRequest(enable_automatic_rotation=True, rotation_interval="7d")
    key_id = kms.create_key(request).body.key_metadata.key_id
    server.advance(7 * DAY + 1)
    [event] = service_events(server, "RotateKey")
    _by_vigil(event, "ACS::KMS::Key", key_id)
    primary = kms.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata.primary_key_version
    assert event["requestParameters"] == {"KeyId": key_id, "KeyVersionId": primary}


def test_a_secret_destroyed_after_its_recovery_window_is_recorded(server: RunningServer, kms: Any) -> None:
    kms.create_secret(models.CreateSecretRequest(secret_name="old", secret_data="v", version_id="v1"))
    kms.delete_secret(models.DeleteSecretRequest(secret_name="old", recovery_window_in_days="7"))
    server.advance(7 * DAY + 1)
    [event] = service_events(server, "DestroySecret")
    _by_vigil(event, "ACS::KMS::Secret", "old")
    assert event["requestParameters"]["SecretName"] == "old"


def test_automatic_secret_rotations_are_recorded_whether_they_succeed_or_fail(
    server: RunningServer, kms: Any, hook: LocalReceiver
) -> None:
    kms.create_secret(
        models.CreateSecretRequest(
            secret_name="auto",
            secret_data="first-value",
            version_id="v1",
            extended_config={"RotationWebhook": hook.url},
            enable_automatic_rotation=True,
            rotation_interval="7d",
        )
    )
    hook.push(Reply(200, {"SecretData": "rotated-value-9f2c"}))
    server.advance(7 * DAY + 1)
    [success] = service_events(server, "RotateSecret")
    _by_vigil(success, "ACS::KMS::Secret", "auto")
    current = kms.get_secret_value(models.GetSecretValueRequest(secret_name="auto")).body.version_id
    assert success["requestParameters"] == {
        "SecretName": "auto",
        "Trigger": "Automatic",
        "VersionId": current,
    }
    hook.push(Reply(500))
    server.advance(7 * DAY + 1)
    failure = service_events(server, "RotateSecret")[1]
    assert (failure["errorCode"], failure["requestParameters"]["Trigger"]) == (
        "Webhook.StepFailed",
        "Automatic",
    )
    assert "rotated-value-9f2c" not in str(service_events(server, "RotateSecret"))
