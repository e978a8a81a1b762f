"""No audit record ever holds a plaintext, a secret value, a password, a data key, an access key
secret or a request signature: a scenario through the official SDKs (and raw requests signed by
the SDKs' own signers, so the signatures are known), then every stored record and every journal
file is read back. Where such a value was, the record holds its ``hmac-sha256:`` hash instead."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
from huaweicloudsdkcsms.v1 import model as csms_models

from tests.api.audit_records_support import stored_records
from tests.api.csms_support import csms_client, signed_request
from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer
from vigil.audit.redaction import HASH_PREFIX, SENSITIVE
from vigil.client import KMS, acs3_headers

PLAINTEXT = "plain-7c1e-never-in-the-trail"
SECRET_VALUE = "secret-value-3b9d-never-in-the-trail"
NEW_SECRET_VALUE = "secret-value-2-51af-never-in-the-trail"
DB_PASSWORD = "Db-P4ssw0rd-8e2a!never"
HUAWEI_VALUE = "huawei-secret-0d77-never-in-the-trail"
HUAWEI_VERSION_VALUE = "huawei-version-6f10-never-in-the-trail"
FAILED_PLAINTEXT = "failed-call-plain-91ab"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Scenario:
    """Runs the calls and remembers every value that must never be stored, and what each record
    must hold in its place."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.kms = server.kms()
        self.forbidden: set[str] = {PLAINTEXT, b64(PLAINTEXT), SECRET_VALUE, NEW_SECRET_VALUE, DB_PASSWORD}
        self.forbidden |= {HUAWEI_VALUE, HUAWEI_VERSION_VALUE, FAILED_PLAINTEXT, b64(FAILED_PLAINTEXT)}
        self.hashed: list[tuple[str, str, str]] = []  # (event name, path in the event, original value)

    def expect_hash(self, event_name: str, path: str, value: str) -> None:
        self.forbidden.add(value)
        self.hashed.append((event_name, path, value))

    def run(self) -> None:
        self.cryptography()
        self.secrets()
        self.identities()
        self.signatures()
        self.huawei()

    def cryptography(self) -> None:
        kms = self.kms
        key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
        blob = kms.encrypt(
            models.EncryptRequest(key_id=key_id, plaintext=b64(PLAINTEXT))
        ).body.ciphertext_blob
        self.hashed.append(("Encrypt", "requestParameters.Plaintext", b64(PLAINTEXT)))
        opened = kms.decrypt(models.DecryptRequest(ciphertext_blob=blob)).body.plaintext
        assert opened == b64(PLAINTEXT)
        self.hashed.append(("Decrypt", "responseElements.Plaintext", opened))
        data_key = kms.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id)).body.plaintext
        self.expect_hash("GenerateDataKey", "responseElements.Plaintext", data_key)
        self.forbidden.add(base64.b64decode(data_key).hex())
        signer = kms.create_key(models.CreateKeyRequest(key_spec="RSA_2048", key_usage="SIGN/VERIFY"))
        meta = signer.body.key_metadata
        digest = base64.b64encode(hashlib.sha256(b"to be signed").digest()).decode()
        request = models.AsymmetricSignRequest(
            key_id=meta.key_id,
            key_version_id=meta.primary_key_version,
            algorithm="RSA_PSS_SHA_256",
            digest=digest,
        )
        signed = kms.asymmetric_sign(request)
        self.expect_hash("AsymmetricSign", "responseElements.Value", signed.body.value)
        password = kms.get_random_password(models.GetRandomPasswordRequest(password_length="24"))
        self.expect_hash(
            "GetRandomPassword", "responseElements.RandomPassword", password.body.random_password
        )
        with pytest.raises(ClientException):
            kms.encrypt(models.EncryptRequest(key_id="key-does-not-exist", plaintext=b64(FAILED_PLAINTEXT)))

    def secrets(self) -> None:
        kms = self.kms
        kms.create_secret(
            models.CreateSecretRequest(secret_name="app", secret_data=SECRET_VALUE, version_id="v1")
        )
        self.hashed.append(("CreateSecret", "requestParameters.SecretData", SECRET_VALUE))
        value = kms.get_secret_value(models.GetSecretValueRequest(secret_name="app")).body.secret_data
        assert value == SECRET_VALUE
        self.hashed.append(("GetSecretValue", "responseElements.SecretData", SECRET_VALUE))
        kms.put_secret_value(
            models.PutSecretValueRequest(secret_name="app", secret_data=NEW_SECRET_VALUE, version_id="v2")
        )
        self.hashed.append(("PutSecretValue", "requestParameters.SecretData", NEW_SECRET_VALUE))
        credentials = json.dumps({"AccountName": "app_user", "AccountPassword": DB_PASSWORD})
        kms.create_secret(
            models.CreateSecretRequest(secret_name="db", secret_data=credentials, version_id="v1")
        )
        kms.get_secret_value(models.GetSecretValueRequest(secret_name="db"))
        self.forbidden.add(json.dumps(DB_PASSWORD)[1:-1])

    def identities(self) -> None:
        client = self.server.client()
        client.vigil("CreateUser", {"UserName": "auditor"})
        created = client.vigil("CreateAccessKey", {"UserName": "auditor"})["AccessKey"]
        self.expect_hash(
            "CreateAccessKey", "responseElements.AccessKey.AccessKeySecret", created["AccessKeySecret"]
        )
        self.forbidden.add(ROOT_SECRET)

    def signatures(self) -> None:
        """Requests signed by the SDKs' signers, sent as they send them, so the signatures are known."""
        server = self.server
        key_id = self.kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
        legacy = EncryptRequest()
        legacy.set_accept_format("JSON")
        legacy.set_KeyId(key_id)
        legacy.set_Plaintext(b64(PLAINTEXT))
        url = legacy.get_url(REGION, ROOT_AK, ROOT_SECRET)
        answer = httpx.post(server.url + url, headers=legacy.get_headers())
        assert answer.status_code == 200, answer.text
        self.expect_hash(
            "Encrypt", "requestParameters.Signature", parse_qs(urlsplit(url).query)["Signature"][0]
        )
        query = {"KeyId": key_id, "Plaintext": b64(PLAINTEXT)}
        headers = acs3_headers("POST", server.endpoint, query, "Encrypt", KMS, ROOT_AK, ROOT_SECRET)
        answer = httpx.post(server.url + "/", params=query, headers=headers)
        assert answer.status_code == 200, answer.text
        self.forbidden.add(_signature_in(headers["authorization"]))

    def huawei(self) -> None:
        csms = csms_client(self.server)
        body = csms_models.CreateSecretRequestBody(name="hw", secret_string=HUAWEI_VALUE)
        csms.create_secret(csms_models.CreateSecretRequest(body=body))
        self.hashed.append(("CreateSecret", "requestParameters.secret_string", HUAWEI_VALUE))
        version = csms_models.CreateSecretVersionRequestBody(secret_string=HUAWEI_VERSION_VALUE)
        csms.create_secret_version(csms_models.CreateSecretVersionRequest(secret_name="hw", body=version))
        self.hashed.append(("CreateSecretVersion", "requestParameters.secret_string", HUAWEI_VERSION_VALUE))
        shown = csms.show_secret_version(
            csms_models.ShowSecretVersionRequest(secret_name="hw", version_id="latest")
        )
        assert shown.version.secret_string == HUAWEI_VERSION_VALUE
        self.hashed.append(
            ("ShowSecretVersion", "responseElements.version.secret_string", HUAWEI_VERSION_VALUE)
        )
        raw = signed_request(
            self.server, "GET", f"/v1/{self.server.app.bootstrap.account.project_id}/secrets/hw"
        )
        assert raw.status_code == 200, raw.text
        self.forbidden.add(_signature_in(raw.request.headers["Authorization"]))


def _signature_in(authorization: str) -> str:
    found = re.search(r"Signature=([0-9a-fA-F]+)", authorization)
    assert found, authorization
    return found.group(1)


def _at(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sensitive_fields(value: Any, path: str = "$") -> list[tuple[str, Any]]:
    """Every (path, value) of a field with a sensitive name, at any depth."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}"
            if key.lower() in SENSITIVE:
                found.append((here, item))
            found += _sensitive_fields(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _sensitive_fields(item, f"{path}[{i}]")
    return found


def _journal_text(data_dir: Path) -> str:
    files = sorted((data_dir / "audit-journal").glob("*"))
    assert files, "the journal directory holds the segments written"
    return "\n".join(f.read_bytes().decode("utf-8") for f in files)


def test_no_stored_record_or_journal_line_holds_a_sensitive_value(server: RunningServer) -> None:
    scenario = Scenario(server)
    scenario.run()
    records = stored_records(server)
    with server.app.services.db.transaction(write=False) as tx:
        rows = tx.all("SELECT * FROM audit_records")
    assert len(rows) == len(records) > 20
    stored = "\n".join(json.dumps(row, default=str) for row in rows)
    journal = _journal_text(server.data_dir)
    for value in sorted(scenario.forbidden):
        assert value not in stored, f"{value!r} is in audit_records"
        assert value not in journal, f"{value!r} is in the audit journal"
    for record in records:
        for path, value in _sensitive_fields(record.event):
            assert value in (None, "") or str(value).startswith(HASH_PREFIX), (record.event_name, path)
    redactor = server.app.services.audit.trail.redactor
    for event_name, path, value in scenario.hashed:
        found = [_at(r.event, path) for r in records if r.event_name == event_name]
        assert redactor.hash(value) in found, f"{event_name} {path} does not hold the value's hash"
