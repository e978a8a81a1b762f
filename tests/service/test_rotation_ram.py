"""RAMCredentials secrets: rotation creates a real access key and retires the one two versions old."""

from __future__ import annotations

import json

import pytest

from tests.conftest import RunningServer
from vigil.client import VigilApiError, VigilClient
from vigil.secrets.model import SecretType
from vigil.secrets.rotation.base import RotationFailed
from vigil.secrets.service import NewSecret

CONFIG = {"SecretSubType": "RamUserAccessKey", "UserName": "app"}


def _create(server: RunningServer, user: str = "app") -> tuple[str, str]:
    iam, acct = server.app.services.iam, server.account_id
    iam.create_user(acct, user)
    key, secret = iam.create_access_key(acct, user)
    value = json.dumps({"AccessKeyId": key.access_key_id, "AccessKeySecret": secret}).encode()
    server.app.services.secrets.create_secret(
        acct,
        NewSecret(
            "ram/app", value, secret_type=SecretType.RAM_CREDENTIALS, extended_config=CONFIG, version_id="v1"
        ),
    )
    return key.access_key_id, secret


def _current(server: RunningServer) -> tuple[str, str]:
    value = json.loads(server.app.services.secrets.get_secret_value(server.account_id, "ram/app").data)
    return value["AccessKeyId"], value["AccessKeySecret"]


def _identity(server: RunningServer, key: tuple[str, str]) -> str:
    with VigilClient(server.url, *key) as client:
        return str(client.vigil("GetCallerIdentity")["UserName"])


def test_rotation_creates_a_working_key_and_deletes_the_one_two_versions_old(server: RunningServer) -> None:
    first = _create(server)
    rotations = server.app.services.rotations

    rotations.rotate_secret(server.account_id, "ram/app")
    second = _current(server)
    assert second[0] != first[0]
    assert _identity(server, second) == "app"
    assert _identity(server, first) == "app"  # ACSPrevious still works until the next rotation

    rotations.rotate_secret(server.account_id, "ram/app")
    third = _current(server)
    assert _identity(server, third) == "app"
    assert _identity(server, second) == "app"
    with pytest.raises(VigilApiError) as gone:
        _identity(server, first)
    assert gone.value.code == "InvalidAccessKeyId.NotFound"
    keys = {k.access_key_id for k in server.app.services.iam.list_access_keys(server.account_id, "app")}
    assert keys == {second[0], third[0]}


def test_rotating_for_a_user_that_is_gone_fails_and_keeps_the_current_key(server: RunningServer) -> None:
    first = _create(server)
    iam, acct = server.app.services.iam, server.account_id
    iam.delete_access_key(acct, first[0])
    iam.delete_user(acct, "app")

    with pytest.raises(RotationFailed) as failed:
        server.app.services.rotations.rotate_secret(acct, "ram/app")

    assert failed.value.code == "RAM.UserNotFound"
    [row] = server.app.services.secrets.rotation_history(acct, "ram/app")
    assert (row["status"], row["error_code"]) == ("Failure", "RAM.UserNotFound")
    assert first[1] not in json.dumps(row)
    assert _current(server) == first
