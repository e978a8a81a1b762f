"""ExtendedConfig and SecretData of rotatable secrets are checked at CreateSecret, without echoing a value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import RunningServer
from vigil.errors import InvalidArgument
from vigil.secrets.model import SecretType
from vigil.secrets.rotation.database import DatabaseRotator
from vigil.secrets.rotation.mysql import MysqlEngine
from vigil.secrets.rotation.postgresql import PostgresEngine
from vigil.secrets.rotation.ram_credentials import RamCredentialsRotator
from vigil.secrets.rotation.webhook import WebhookRotator
from vigil.secrets.service import NewSecret

PASSWORD = "Sup3rSecretPassw0rd"
RDS = {
    "SecretSubType": "SingleUser",
    "DBEngine": "postgresql",
    "Host": "db.internal",
    "Port": 5432,
    "AdminSecretName": "rds/admin",
}
LOGIN = json.dumps({"AccountName": "app", "AccountPassword": PASSWORD}).encode()
DOUBLE = {**RDS, "SecretSubType": "DoubleUsers", "AccountNames": ["app", "app_b"]}

RDS_CASES = [
    ("no-subtype", {**RDS, "SecretSubType": None}, LOGIN, "SecretSubType"),
    ("unknown-engine", {**RDS, "DBEngine": "oracle"}, LOGIN, "DBEngine"),
    ("no-host", {**RDS, "Host": ""}, LOGIN, "Host"),
    ("port-out-of-range", {**RDS, "Port": 70000}, LOGIN, "Port"),
    ("port-not-a-number", {**RDS, "Port": "pg"}, LOGIN, "Port"),
    ("empty-database", {**RDS, "Database": ""}, LOGIN, "Database"),
    ("no-admin-secret", {**RDS, "AdminSecretName": None}, LOGIN, "AdminSecretName"),
    ("bad-admin-secret-name", {**RDS, "AdminSecretName": "a b"}, LOGIN, "SecretName"),
    ("account-host-on-postgresql", {**RDS, "AccountHost": "%"}, LOGIN, "AccountHost"),
    ("account-names-on-single-user", {**RDS, "AccountNames": ["a", "b"]}, LOGIN, "AccountNames"),
    ("one-account-name", {**DOUBLE, "AccountNames": ["app"]}, LOGIN, "AccountNames"),
    ("same-account-twice", {**DOUBLE, "AccountNames": ["app", "app"]}, LOGIN, "AccountNames"),
    (
        "current-not-in-names",
        {**DOUBLE, "AccountNames": ["x", "y"]},
        LOGIN,
        "one of ExtendedConfig.AccountNames",
    ),
    ("data-not-json", RDS, PASSWORD.encode(), "must be JSON"),
    ("data-without-password", RDS, b'{"AccountName": "app"}', "AccountPassword"),
    ("data-without-account", RDS, json.dumps({"AccountPassword": PASSWORD}).encode(), "AccountName"),
]


@pytest.mark.parametrize(
    ("config", "data", "names"), [c[1:] for c in RDS_CASES], ids=[c[0] for c in RDS_CASES]
)
def test_database_config_faults_are_named(config: dict[str, Any], data: bytes, names: str) -> None:
    rotator = DatabaseRotator({"postgresql": PostgresEngine(), "mysql": MysqlEngine()})
    with pytest.raises(InvalidArgument, match=names) as refused:
        rotator.check_config(config, data)
    assert PASSWORD not in refused.value.message


@pytest.mark.parametrize(
    "config",
    [RDS, DOUBLE, {**RDS, "DBEngine": "MySQL", "Port": "3306", "AccountHost": "10.0.0.%", "Database": "app"}],
    ids=["single-user", "double-users", "mysql-with-account-host"],
)
def test_good_database_configs_pass(config: dict[str, Any]) -> None:
    DatabaseRotator({"postgresql": PostgresEngine(), "mysql": MysqlEngine()}).check_config(config, LOGIN)


RAM_KEY = json.dumps({"AccessKeyId": "LTAI5tEXAMPLE", "AccessKeySecret": PASSWORD}).encode()


@pytest.mark.parametrize(
    ("config", "data", "names"),
    [
        ({"UserName": "app"}, RAM_KEY, "SecretSubType"),
        ({"SecretSubType": "RamUserAccessKey"}, RAM_KEY, "UserName"),
        ({"SecretSubType": "RamUserAccessKey", "UserName": "app"}, PASSWORD.encode(), "must be JSON"),
    ],
    ids=["no-subtype", "no-user", "data-not-json"],
)
def test_ram_credentials_config_faults_are_named(config: dict[str, Any], data: bytes, names: str) -> None:
    with pytest.raises(InvalidArgument, match=names) as refused:
        RamCredentialsRotator().check_config(config, data)
    assert PASSWORD not in refused.value.message


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.internal/rotate", "hooks.internal/rotate", "http://", 42],
    ids=["ftp", "no-scheme", "no-host", "not-text"],
)
def test_a_rotation_webhook_must_be_an_http_url(url: object) -> None:
    with pytest.raises(InvalidArgument, match="RotationWebhook"):
        WebhookRotator().check_config({"RotationWebhook": url}, b"value")


def test_create_secret_refuses_a_bad_rotation_config(server: RunningServer) -> None:
    secrets = server.app.services.secrets
    with pytest.raises(InvalidArgument, match="Port") as refused:
        secrets.create_secret(
            server.account_id,
            NewSecret("rds/app", LOGIN, secret_type=SecretType.RDS, extended_config={**RDS, "Port": 0}),
        )
    assert PASSWORD not in refused.value.message
    with pytest.raises(InvalidArgument, match="RotationWebhook"):
        secrets.create_secret(
            server.account_id, NewSecret("hook", b"v", extended_config={"RotationWebhook": "x"})
        )
