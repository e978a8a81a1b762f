"""Generic secrets rotated through a real local webhook: the four signed steps, failures, and the rotation lock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer
from tests.service.test_rotation_database import closed_port
from vigil.secrets.model import RotationInProgress
from vigil.secrets.rotation.base import RotationFailed
from vigil.secrets.rotation.runner import RotationResult
from vigil.secrets.service import NewSecret
from vigil.testing import LocalReceiver, ReceivedRequest, Reply
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    with LocalReceiver() as hook:
        yield hook


def _create(server: RunningServer, url: str) -> None:
    server.app.services.secrets.create_secret(
        server.account_id,
        NewSecret("app/token", b"0ld-token", extended_config={"RotationWebhook": url}, version_id="v1"),
    )


def _signed(server: RunningServer, request: ReceivedRequest) -> bool:
    headers = request.headers
    return verify(
        server.app.services.webhook_key,
        headers[TIMESTAMP_HEADER.lower()],
        request.body,
        headers[SIGNATURE_HEADER.lower()],
    )


def test_the_four_steps_arrive_signed_and_in_order(server: RunningServer, receiver: LocalReceiver) -> None:
    receiver.push(Reply(200, {"SecretData": "n3w-token-from-hook"}))
    _create(server, receiver.url)

    result = server.app.services.rotations.rotate_secret(server.account_id, "app/token")

    bodies = [r.json() for r in receiver.requests]
    assert [b["Step"] for b in bodies] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert all(_signed(server, r) and r.method == "POST" for r in receiver.requests)
    for body in bodies:
        assert body["SecretName"] == "app/token"
        assert (body["VersionId"], body["RotationId"]) == (result.version_id, result.rotation_id)
    assert [b.get("SecretData") for b in bodies] == [None, "n3w-token-from-hook", "n3w-token-from-hook", None]
    value = server.app.services.secrets.get_secret_value(server.account_id, "app/token")
    assert (value.data, value.version.version_id) == (b"n3w-token-from-hook", result.version_id)
    assert server.app.services.secrets.get_secret_value(
        server.account_id, "app/token", stage="ACSPrevious"
    ).data == (b"0ld-token")


def test_without_a_value_from_the_hook_vigil_generates_one(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    _create(server, receiver.url)

    server.app.services.rotations.rotate_secret(server.account_id, "app/token")

    value = server.app.services.secrets.get_secret_value(server.account_id, "app/token").text()
    assert len(value) == 32 and value.isalnum()
    assert receiver.requests[1].json()["SecretData"] == value


def test_a_failed_set_step_stops_the_rotation_and_keeps_the_current_value(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    receiver.push(Reply(200, {"SecretData": "n3w-token-from-hook"}), Reply(500, {"error": "boom"}))
    _create(server, receiver.url)
    secrets = server.app.services.secrets

    with pytest.raises(RotationFailed) as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "app/token")

    assert failed.value.code == "Webhook.StepFailed"
    assert [r.json()["Step"] for r in receiver.requests] == ["createSecret", "setSecret"]
    [row] = secrets.rotation_history(server.account_id, "app/token")
    assert (row["status"], row["error_code"]) == ("Failure", "Webhook.StepFailed")
    assert "setSecret" in row["error_message"] and "HTTP 500" in row["error_message"]
    assert "n3w-token-from-hook" not in json.dumps(row) and "0ld-token" not in json.dumps(row)
    assert secrets.get_secret_value(server.account_id, "app/token").data == b"0ld-token"
    assert secrets.stages(server.account_id, "app/token") == {"ACSCurrent": "v1"}
    assert [v.version_id for v in secrets.list_secret_versions(server.account_id, "app/token")] == ["v1"]


def test_an_unreachable_hook_fails_at_the_first_step(server: RunningServer) -> None:
    _create(server, f"http://127.0.0.1:{closed_port()}/rotate")

    with pytest.raises(RotationFailed, match="createSecret") as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "app/token")

    assert failed.value.code == "Webhook.StepFailed"
    assert server.app.services.secrets.get_secret_value(server.account_id, "app/token").data == b"0ld-token"


def test_rotating_a_secret_that_is_rotating_is_refused(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    gate = threading.Event()
    receiver.push(Reply(200, hold=gate))
    _create(server, receiver.url)
    rotations = server.app.services.rotations
    results: list[RotationResult] = []
    first = threading.Thread(
        target=lambda: results.append(rotations.rotate_secret(server.account_id, "app/token"))
    )
    first.start()
    try:
        receiver.wait_for(1)  # the first rotation is now waiting on its createSecret step
        with pytest.raises(RotationInProgress, match="already being rotated"):
            rotations.rotate_secret(server.account_id, "app/token")
    finally:
        gate.set()
        first.join(timeout=10)

    assert len(results) == 1
    history = server.app.services.secrets.rotation_history(server.account_id, "app/token")
    assert [r["status"] for r in history] == ["Success"]


def test_automatic_rotation_calls_the_hook_when_the_interval_passes(
    server: RunningServer, receiver: LocalReceiver
) -> None:
    _create(server, receiver.url)
    secrets = server.app.services.secrets
    secrets.update_rotation_policy(server.account_id, "app/token", True, 86400)

    server.advance(86400 + 1)

    [row] = secrets.rotation_history(server.account_id, "app/token")
    assert (row["status"], row["trigger_kind"]) == ("Success", "Automatic")
    assert len(receiver.requests) == 4
    assert secrets.get_secret_value(server.account_id, "app/token").data != b"0ld-token"
    assert secrets.describe_secret(server.account_id, "app/token").next_rotation_at is not None
