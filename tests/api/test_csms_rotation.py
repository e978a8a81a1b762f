"""Rotation, the task list and random passwords through the Huawei CSMS SDK."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator

import pytest
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import assert_shape, csms_client, fails
from tests.conftest import RunningServer
from vigil.testing import LocalReceiver, Reply


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    return csms_client(server)


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    with LocalReceiver() as receiver:
        yield receiver


def create_webhook_secret(csms: CsmsClient, name: str, url: str) -> None:
    body = m.CreateSecretRequestBody(
        name=name, secret_string="old-value", rotation_config=json.dumps({"RotationWebhook": url})
    )
    csms.create_secret(m.CreateSecretRequest(body=body))


def rotate(csms: CsmsClient, name: str) -> m.RotateSecretResponse:
    return csms.rotate_secret(m.RotateSecretRequest(secret_name=name))


def latest_value(csms: CsmsClient, name: str) -> str:
    request = m.ShowSecretVersionRequest(secret_name=name, version_id="latest")
    return str(csms.show_secret_version(request).version.secret_string)


def tasks(csms: CsmsClient, **query: object) -> m.ListSecretTaskResponse:
    return csms.list_secret_task(m.ListSecretTaskRequest(**query))


# -- rotation ------------------------------------------------------------------------------------


def test_rotate_secret_runs_the_webhook_and_makes_a_new_current_version(
    csms: CsmsClient, hook: LocalReceiver
) -> None:
    create_webhook_secret(csms, "hooked", hook.url)
    body = assert_shape(rotate(csms, "hooked"))
    assert (body["secret_name"], body["version_id"]) == ("hooked", "v2")
    assert body["rotation_task_id"]
    assert [r.json()["Step"] for r in hook.requests] == [
        "createSecret",
        "setSecret",
        "testSecret",
        "finishSecret",
    ]
    assert latest_value(csms, "hooked") not in ("", "old-value")
    listed = csms.list_secret_versions(m.ListSecretVersionsRequest(secret_name="hooked"))
    assert {v.id: v.version_stages for v in listed.version_metadatas} == {
        "v1": ["SYSPREVIOUS"],
        "v2": ["SYSCURRENT"],
    }


def test_rotating_a_common_secret_without_a_webhook_is_refused_clearly(csms: CsmsClient) -> None:
    csms.create_secret(m.CreateSecretRequest(body=m.CreateSecretRequestBody(name="plain", secret_string="v")))
    error = fails(lambda: rotate(csms, "plain"))
    assert (error.status_code, error.error_code) == (400, "CSMS.0400")
    assert "a COMMON secret needs rotation_config" in error.error_msg
    assert "RotationWebhook" in error.error_msg


def test_a_failed_rotation_keeps_the_current_value_and_is_listed_as_failed(csms: CsmsClient) -> None:
    with LocalReceiver(default=Reply(500, {"error": "nope"})) as failing:
        create_webhook_secret(csms, "fragile", failing.url)
        error = fails(lambda: rotate(csms, "fragile"))
    assert (error.status_code, error.error_code) == (400, "CSMS.0400")
    assert latest_value(csms, "fragile") == "old-value"
    body = assert_shape(tasks(csms, secret_name="fragile"))
    assert body["total"] == 1
    task = body["tasks"][0]
    assert (task["secret_name"], task["task_status"], task["operate_type"]) == ("fragile", "FAILED", "MANUAL")
    assert task["task_error_code"] == "Webhook.StepFailed"
    assert "old-value" not in task["task_error_msg"]
    assert task["attempt_nums"] == 1


def test_list_secret_task_shows_successful_rotations_newest_first(
    server: RunningServer, csms: CsmsClient, hook: LocalReceiver
) -> None:
    create_webhook_secret(csms, "rotated", hook.url)
    first = rotate(csms, "rotated").rotation_task_id
    server.advance(60)
    second = rotate(csms, "rotated").rotation_task_id
    body = assert_shape(tasks(csms, secret_name="rotated", status="SUCCESS"))
    assert [t["task_id"] for t in body["tasks"]] == [second, first]
    assert body["next_marker"] == ""
    assert body["tasks"][0]["task_error_code"] == ""
    assert tasks(csms, status="FAILED").total == 0


def test_list_secret_task_pages_with_the_last_task_id_as_marker(
    server: RunningServer, csms: CsmsClient, hook: LocalReceiver
) -> None:
    create_webhook_secret(csms, "paged", hook.url)
    ids = []
    for _ in range(3):
        ids.append(rotate(csms, "paged").rotation_task_id)
        server.advance(60)
    first = tasks(csms, limit=2)
    assert ([t.task_id for t in first.tasks], first.total) == ([ids[2], ids[1]], 3)
    assert first.next_marker == ids[1]
    rest = tasks(csms, limit=2, marker=first.next_marker)
    assert ([t.task_id for t in rest.tasks], rest.next_marker) == ([ids[0]], "")


def test_list_secret_task_finds_one_task_by_id(csms: CsmsClient, hook: LocalReceiver) -> None:
    create_webhook_secret(csms, "by-id", hook.url)
    task_id = rotate(csms, "by-id").rotation_task_id
    assert [t.task_id for t in tasks(csms, task_id=task_id).tasks] == [task_id]
    error = fails(lambda: tasks(csms, task_id=task_id, secret_name="by-id"))
    assert error.error_msg == "task_id cannot be combined with secret_name or status"


def test_list_secret_task_refuses_an_unknown_status(csms: CsmsClient) -> None:
    error = fails(lambda: tasks(csms, status="DONE"))
    assert (error.status_code, error.error_code) == (400, "CSMS.0002")
    assert error.error_msg == "status 'DONE' is invalid; use SUCCESS, FAILED or IN_PROGRESS"


# -- random passwords ----------------------------------------------------------------------------


def test_generate_random_password_defaults_to_32_characters(csms: CsmsClient) -> None:
    body = assert_shape(csms.generate_random_password(m.GenerateRandomPasswordRequest()))
    assert len(body["password"]) == 32


def test_generate_random_password_honours_length_and_exclusions(csms: CsmsClient) -> None:
    options = m.CreatePasswordRequestBody(length=20, exclude_punctuation=True, exclude_characters="aeiou")
    password = csms.generate_random_password(m.GenerateRandomPasswordRequest(body=options)).password
    assert len(password) == 20
    assert set(password) <= set(string.ascii_letters + string.digits) - set("aeiou")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"length": 7}, "length must be between 8 and 128, got 7"),
        ({"include_space": True}, "include_space is not supported: Vigil's passwords never contain spaces"),
        (
            {"password_policy_name": "strict"},
            "password_policy_name 'strict' does not exist; Vigil has only 'default'",
        ),
    ],
    ids=["too-short", "spaces", "unknown-policy"],
)
def test_generate_random_password_refuses_what_it_cannot_honour(
    csms: CsmsClient, options: dict[str, object], message: str
) -> None:
    request = m.GenerateRandomPasswordRequest(body=m.CreatePasswordRequestBody(**options))
    error = fails(lambda: csms.generate_random_password(request))
    assert (error.status_code, error.error_code, error.error_msg) == (400, "CSMS.0002", message)
