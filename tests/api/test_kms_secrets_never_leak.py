"""Secret values never leak: not in error messages, metadata answers, logs, or stored columns in clear."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from Tea.exceptions import TeaException

from tests.api.test_iam_secrets_never_leak import database_bytes, forms_of
from tests.conftest import RunningServer
from vigil.client import VigilApiError

TEXT_VALUE = '{"AccountName":"app","AccountPassword":"Zebra-Quartz-7731-never-leak"}'
SECOND_VALUE = "second-version-Walrus-9902-never-leak"
STAGED_VALUE = "pending-version-Marmot-4410-never-leak"
BINARY_VALUE = b"\x00\x01binary-Heron-5521-never-leak\xfe\xff"
REJECTED_VALUE = "rejected-value-Osprey-8830-never-leak"


@dataclass(slots=True)
class Transcript:
    """Every error and every metadata answer seen while running the secret scenario."""

    errors: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)

    def expect_error(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except VigilApiError as exc:
            self.errors.append(f"{exc} {exc.message}")
        except TeaException as exc:
            self.errors.append(f"{exc} {exc.message} {json.dumps(exc.data)}")
        else:
            pytest.fail("the call was expected to fail")

    def answer(self, body: Any) -> None:
        self.answers.append(json.dumps(body.to_map() if hasattr(body, "to_map") else body))


def every_value() -> list[str]:
    encoded = base64.b64encode(BINARY_VALUE).decode()
    return [TEXT_VALUE, "Zebra-Quartz-7731-never-leak", SECOND_VALUE, STAGED_VALUE, REJECTED_VALUE, encoded]


def run_secret_scenario(server: RunningServer) -> Transcript:
    """Secrets created, versioned, staged, misused, listed, disabled and deleted."""
    kms, root, seen = server.kms(), server.client(), Transcript()
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    _create(kms, "db/app", TEXT_VALUE, encryption_key_id=key_id, tags='[{"TagKey":"env","TagValue":"prod"}]')
    _create(kms, "tls/key", base64.b64encode(BINARY_VALUE).decode(), secret_data_type="binary")
    _put(kms, "db/app", "v2", SECOND_VALUE)
    _put(kms, "db/app", "v3", STAGED_VALUE, version_stages='["ACSPending"]')
    assert (
        kms.get_secret_value(models.GetSecretValueRequest(secret_name="db/app")).body.secret_data
        == SECOND_VALUE
    )
    _misuse(kms, root, seen)
    seen.answer(
        kms.describe_secret(models.DescribeSecretRequest(secret_name="db/app", fetch_tags="true")).body
    )
    seen.answer(kms.list_secrets(models.ListSecretsRequest(fetch_tags="true")).body)
    versions = models.ListSecretVersionIdsRequest(secret_name="db/app", include_deprecated="true")
    seen.answer(kms.list_secret_version_ids(versions).body)
    seen.answer(root.call("ListResourceTags", {"SecretName": "db/app"}))
    seen.answer(root.vigil("ListSecretRotations"))
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    seen.expect_error(lambda: kms.get_secret_value(models.GetSecretValueRequest(secret_name="db/app")))
    seen.expect_error(lambda: _put(kms, "db/app", "v4", REJECTED_VALUE))
    kms.delete_secret(models.DeleteSecretRequest(secret_name="tls/key", recovery_window_in_days="7"))
    seen.expect_error(lambda: kms.get_secret_value(models.GetSecretValueRequest(secret_name="tls/key")))
    seen.expect_error(lambda: _put(kms, "tls/key", "v2", REJECTED_VALUE))
    return seen


def _misuse(kms: Any, root: Any, seen: Transcript) -> None:
    seen.expect_error(lambda: _create(kms, "db/app", REJECTED_VALUE))
    seen.expect_error(lambda: _create(kms, "bad type", REJECTED_VALUE, secret_type="Vault"))
    seen.expect_error(lambda: _create(kms, "bin", REJECTED_VALUE, secret_data_type="binary"))
    seen.expect_error(lambda: _create(kms, "big", REJECTED_VALUE * 1000))
    seen.expect_error(lambda: _create(kms, "auto", REJECTED_VALUE, enable_automatic_rotation=True))
    seen.expect_error(lambda: _put(kms, "db/app", "v1", REJECTED_VALUE))
    seen.expect_error(lambda: _put(kms, "db/app", "v9", REJECTED_VALUE, version_stages="ACSCurrent"))
    seen.expect_error(lambda: _put(kms, "tls/key", "v9", REJECTED_VALUE, secret_data_type="binary"))
    seen.expect_error(lambda: _put(kms, "ghost", "v1", REJECTED_VALUE))
    seen.expect_error(
        lambda: kms.rotate_secret(models.RotateSecretRequest(secret_name="db/app", version_id="v9"))
    )
    seen.expect_error(lambda: root.call("GetSecretValue", {"SecretName": "db/app", "DryRun": "true"}))
    seen.expect_error(
        lambda: root.call(
            "GetSecretValue", {"SecretName": "db/app", "VersionId": "v1", "VersionStage": "ACSCurrent"}
        )
    )


def _create(kms: Any, name: str, data: str, **fields: Any) -> Any:
    return kms.create_secret(
        models.CreateSecretRequest(secret_name=name, secret_data=data, version_id="v1", **fields)
    )


def _put(kms: Any, name: str, version_id: str, data: str, **fields: Any) -> Any:
    request = models.PutSecretValueRequest(
        secret_name=name, version_id=version_id, secret_data=data, **fields
    )
    return kms.put_secret_value(request)


def test_no_secret_value_appears_in_any_error_or_metadata_answer_or_log(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = run_secret_scenario(server)
    assert len(seen.errors) >= 15
    exposed = "\n".join([*seen.errors, *seen.answers, caplog.text])
    assert "db/app" in exposed  # the transcript really covers the secret
    leaked = [value for value in every_value() if value in exposed]
    assert leaked == []


def test_the_database_never_holds_a_secret_value_in_clear(server: RunningServer) -> None:
    run_secret_scenario(server)
    stored = database_bytes(server)
    assert b"db/app" in stored and b"tls/key" in stored  # the dump really covers the secret tables
    leaked = [value for value in every_value() if any(f in stored for f in forms_of(value))]
    assert leaked == []
    assert BINARY_VALUE not in stored
