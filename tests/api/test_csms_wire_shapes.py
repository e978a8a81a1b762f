"""Every CSMS operation Vigil serves answers in exactly the shape of the SDK's response model.

The SDK builds its response objects from ``attribute_map``: unknown keys are dropped and missing
ones become None silently (WIRE.md §8.3). So each raw body is checked against the SDK's own model
table, and the walk below must cover every route the endpoint serves.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import assert_shape, csms_client, shape_faults
from tests.conftest import RunningServer
from vigil.dialects.huawei import csms, csms_versions
from vigil.testing import LocalReceiver


def _walk(client: CsmsClient, hook_url: str) -> list[tuple[str, Any]]:
    """Call every served operation once, in an order where each call makes sense."""
    secret = "shape-check"
    calls: list[tuple[str, Callable[[], Any]]] = [
        (
            "CreateSecret",
            lambda: client.create_secret(
                m.CreateSecretRequest(
                    body=m.CreateSecretRequestBody(
                        name=secret,
                        secret_string="v1-value",
                        rotation_period="7d",
                        rotation_config=json.dumps({"RotationWebhook": hook_url}),
                        event_subscriptions=["ev"],
                    )
                )
            ),
        ),
        ("ShowSecret", lambda: client.show_secret(m.ShowSecretRequest(secret_name=secret))),
        ("ListSecrets", lambda: client.list_secrets(m.ListSecretsRequest(limit="10"))),
        (
            "UpdateSecret",
            lambda: client.update_secret(
                m.UpdateSecretRequest(secret_name=secret, body=m.UpdateSecretRequestBody(description="d"))
            ),
        ),
        (
            "CreateSecretVersion",
            lambda: client.create_secret_version(
                m.CreateSecretVersionRequest(
                    secret_name=secret,
                    body=m.CreateSecretVersionRequestBody(
                        secret_binary=base64.b64encode(b"\x01\x02").decode(),
                        version_stages=["SYSCURRENT", "blue"],
                        expire_time=1_893_456_000_000,
                    ),
                )
            ),
        ),
        (
            "ListSecretVersions",
            lambda: client.list_secret_versions(m.ListSecretVersionsRequest(secret_name=secret)),
        ),
        (
            "ShowSecretVersion",
            lambda: client.show_secret_version(
                m.ShowSecretVersionRequest(secret_name=secret, version_id="latest")
            ),
        ),
        (
            "UpdateVersion",
            lambda: client.update_version(
                m.UpdateVersionRequest(
                    secret_name=secret,
                    version_id="v1",
                    body=m.UpdateVersionRequestBody(expire_time=1_900_000_000),
                )
            ),
        ),
        (
            "ShowSecretStage",
            lambda: client.show_secret_stage(
                m.ShowSecretStageRequest(secret_name=secret, stage_name="SYSPREVIOUS")
            ),
        ),
        (
            "UpdateSecretStage",
            lambda: client.update_secret_stage(
                m.UpdateSecretStageRequest(
                    secret_name=secret,
                    stage_name="blue",
                    body=m.UpdateSecretStageRequestBody(version_id="v1"),
                )
            ),
        ),
        (
            "DeleteSecretStage",
            lambda: client.delete_secret_stage(
                m.DeleteSecretStageRequest(secret_name=secret, stage_name="blue")
            ),
        ),
        ("RotateSecret", lambda: client.rotate_secret(m.RotateSecretRequest(secret_name=secret))),
        ("ListSecretTask", lambda: client.list_secret_task(m.ListSecretTaskRequest(secret_name=secret))),
        (
            "GenerateRandomPassword",
            lambda: client.generate_random_password(
                m.GenerateRandomPasswordRequest(body=m.CreatePasswordRequestBody(length=16))
            ),
        ),
        (
            "DeleteSecretForSchedule",
            lambda: client.delete_secret_for_schedule(
                m.DeleteSecretForScheduleRequest(
                    secret_name=secret, body=m.DeleteSecretForScheduleRequestBody(recovery_window_in_days=7)
                )
            ),
        ),
        ("RestoreSecret", lambda: client.restore_secret(m.RestoreSecretRequest(secret_name=secret))),
        ("DeleteSecret", lambda: client.delete_secret(m.DeleteSecretRequest(secret_name=secret))),
    ]
    return [(name, call()) for name, call in calls]


def test_every_served_operation_answers_in_its_sdk_model_shape(server: RunningServer) -> None:
    with LocalReceiver() as hook:
        answers = _walk(csms_client(server), hook.url)
    served = {route.operation.name for route in csms.ROUTES + csms_versions.ROUTES}
    assert {name for name, _ in answers} == served
    for name, response in answers:
        assert type(response).__name__ == f"{name}Response"
        if response.status_code == 204:
            assert (name, response.raw_content) == (name, b"")
            continue
        assert response.status_code == 200, name
        assert_shape(response)


def test_the_checker_catches_missing_extra_and_mistyped_keys() -> None:
    stage = {"name": "SYSCURRENT", "update_time": "1", "secret_name": "s", "extra": 1}
    assert sorted(shape_faults({"stage": stage}, "ShowSecretStageResponse")) == [
        "$.stage.extra: not in the model Stage",
        "$.stage.update_time: str '1' is not int",
        "$.stage.version_id: missing (the model Stage has it)",
    ]
    assert "$.auto_rotation: int 1 is not bool" in shape_faults({"auto_rotation": 1}, "Secret")
