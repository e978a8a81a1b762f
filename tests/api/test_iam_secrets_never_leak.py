"""Access key secrets and data-key plaintexts never leak: not in error messages, not in listings,
and not in clear anywhere in the database, on either backend.
"""

from __future__ import annotations

import base64
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from alibabacloud_kms20160120 import models
from Tea.exceptions import TeaException

from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer
from vigil.client import VigilApiError

SCHEMES: list[dict[str, str]] = [{}, {"signature_version": "v4"}, {"signature_algorithm": "v2"}]


@dataclass(slots=True)
class Transcript:
    """Every secret handed out and every answer seen while running the identity scenario."""

    secrets: list[str] = field(default_factory=lambda: [ROOT_SECRET])
    data_keys: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)

    def expect_error(self, call: Any) -> None:
        try:
            call()
        except VigilApiError as exc:
            self.errors.append(f"{exc} {exc.message}")
        except TeaException as exc:
            self.errors.append(f"{exc} {exc.message} {json.dumps(exc.data)}")
        else:
            pytest.fail("the call was expected to fail")


def run_identity_scenario(server: RunningServer) -> Transcript:
    """Users, keys and policies created, used, misused, disabled and deleted."""
    seen = Transcript()
    root = server.client()
    key_id = root.call("CreateKey")["KeyMetadata"]["KeyId"]
    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    root.vigil("CreatePolicy", {"PolicyName": "kms-all", "PolicyDocument": json.dumps(policy)})
    for name in ("ivan", "judy"):
        root.vigil("CreateUser", {"UserName": name})
        root.vigil("AttachPolicyToUser", {"PolicyName": "kms-all", "UserName": name})
        for _ in range(2):
            created = root.vigil("CreateAccessKey", {"UserName": name})["AccessKey"]
            seen.secrets.append(created["AccessKeySecret"])
            _use_and_misuse(server, seen, key_id, created["AccessKeyId"], created["AccessKeySecret"])
        seen.listings.append(json.dumps(root.vigil("ListAccessKeys", {"UserName": name})))
    root_key = root.vigil("CreateAccessKey")["AccessKey"]
    seen.secrets.append(root_key["AccessKeySecret"])
    seen.listings.append(json.dumps(root.vigil("ListAccessKeys")))
    seen.expect_error(lambda: root.vigil("DeleteUser", {"UserName": "ivan"}))
    seen.expect_error(lambda: root.vigil("UpdateAccessKey", {"UserAccessKeyId": ROOT_AK, "Status": "Nope"}))
    return seen


def _use_and_misuse(server: RunningServer, seen: Transcript, key_id: str, ak: str, secret: str) -> None:
    kms = server.kms(ak, secret)
    data_key = kms.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id)).body
    seen.data_keys.append(data_key.plaintext)
    opened = kms.decrypt(models.DecryptRequest(ciphertext_blob=data_key.ciphertext_blob)).body
    assert opened.plaintext == data_key.plaintext
    for scheme in SCHEMES:
        for wrong in (secret[:-1], secret + secret, secret.upper()):
            seen.expect_error(
                lambda w=wrong, c=scheme: server.kms(ak, w, **c).list_keys(models.ListKeysRequest())
            )
    seen.expect_error(lambda: server.client(ak, secret[::-1]).vigil("GetCallerIdentity"))
    seen.expect_error(lambda: server.client(ak, secret).vigil("CreateAccessKey", {"UserName": "ivan"}))
    seen.expect_error(lambda: kms.create_key(models.CreateKeyRequest(key_spec="RSA_1")))
    server.client().vigil("UpdateAccessKey", {"UserAccessKeyId": ak, "Status": "Inactive"})
    seen.expect_error(lambda: kms.list_keys(models.ListKeysRequest()))
    server.client().vigil("UpdateAccessKey", {"UserAccessKeyId": ak, "Status": "Active"})


def database_bytes(server: RunningServer) -> bytes:
    """Everything the database holds: the SQLite files as stored, or every PostgreSQL row as text."""
    if server.backend == "sqlite":
        return b"".join(path.read_bytes() for path in sorted(server.data_dir.glob("vigil.db*")))
    url = server.app.services.settings.database_url
    assert url is not None
    with psycopg.connect(url.reveal()) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        assert "access_keys" in tables
        dumps = [repr(conn.execute(f'SELECT * FROM "{table}"').fetchall()) for table in tables]
    return "\n".join(dumps).encode()


def forms_of(secret: str) -> list[bytes]:
    """The ways a value could sit in clear: as text, and as raw bytes when it is base64."""
    forms = [secret.encode()]
    with contextlib.suppress(ValueError):
        forms.append(base64.b64decode(secret, validate=True))
    return [f for f in forms if len(f) >= 16]


def test_no_secret_appears_in_any_error_message_or_listing(server: RunningServer) -> None:
    seen = run_identity_scenario(server)
    assert len(seen.errors) >= 20
    exposed = "\n".join(seen.errors + seen.listings)
    leaked = [s for s in seen.secrets if s in exposed]
    assert leaked == []
    assert all("AccessKeySecret" not in listing for listing in seen.listings)


def test_the_database_never_holds_a_secret_or_a_data_key_in_clear(server: RunningServer) -> None:
    seen = run_identity_scenario(server)
    stored = database_bytes(server)
    assert ROOT_AK.encode() in stored  # the dump really covers the access key table
    leaked = [value for value in seen.secrets + seen.data_keys if any(f in stored for f in forms_of(value))]
    assert leaked == []
