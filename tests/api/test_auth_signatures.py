"""Authentication through real HTTP with the unmodified official SDKs: every signing scheme they
use is accepted, and a wrong secret, an unknown key or an STS token is refused with the code the
SDKs expect (WIRE.md §1.3, §2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkkms.request.v20160120.CreateKeyRequest import CreateKeyRequest
from aliyunsdkkms.request.v20160120.DecryptRequest import DecryptRequest
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
from aliyunsdkkms.request.v20160120.ListKeysRequest import ListKeysRequest
from Tea.exceptions import TeaException

from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer

SCHEMES: dict[str, dict[str, str]] = {
    "acs3": {},
    "acs4": {"signature_version": "v4"},
    "rpc-hmac-sha1": {"signature_algorithm": "v2"},
}


@pytest.fixture(params=list(SCHEMES))
def scheme(request: pytest.FixtureRequest) -> dict[str, str]:
    return SCHEMES[str(request.param)]


def sdk_error(call: Callable[[], Any]) -> TeaException:
    with pytest.raises(TeaException) as caught:
        call()
    return caught.value


def http_status(error: TeaException) -> int:
    """The HTTP status of an SDK error; the ACS4 path keeps it only in ``data`` (WIRE.md §1.3)."""
    status = getattr(error, "status_code", None) or (error.data or {}).get("statusCode")
    return int(status)


def legacy_client(access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET) -> AcsClient:
    return AcsClient(access_key_id, secret, REGION)


def legacy_call(server: RunningServer, client: AcsClient, request: Any) -> dict[str, Any]:
    request.set_endpoint(server.endpoint)
    request.set_protocol_type("http")
    body: dict[str, Any] = json.loads(client.do_action_with_exception(request))
    return body


def test_each_official_signing_scheme_creates_a_key_and_round_trips_a_plaintext(
    server: RunningServer, scheme: dict[str, str]
) -> None:
    kms = server.kms(**scheme)
    key = kms.create_key(models.CreateKeyRequest(description="signed")).body.key_metadata
    sealed = kms.encrypt(
        models.EncryptRequest(
            key_id=key.key_id, plaintext="c2lnbmVk", encryption_context={"app": "auth test"}
        )
    ).body
    opened = kms.decrypt(
        models.DecryptRequest(ciphertext_blob=sealed.ciphertext_blob, encryption_context={"app": "auth test"})
    ).body
    assert (opened.plaintext, opened.key_id) == ("c2lnbmVk", key.key_id)
    assert (
        kms.describe_key(models.DescribeKeyRequest(key_id=key.key_id)).body.key_metadata.description
        == "signed"
    )


def test_the_legacy_acs_client_round_trips_with_a_python_literal_context(server: RunningServer) -> None:
    client = legacy_client()
    key_id = legacy_call(server, client, CreateKeyRequest())["KeyMetadata"]["KeyId"]
    encrypt = EncryptRequest()
    encrypt.set_KeyId(key_id)
    encrypt.set_Plaintext("bGVnYWN5")
    encrypt.set_EncryptionContext({"purpose": "legacy sdk"})
    sealed = legacy_call(server, client, encrypt)
    decrypt = DecryptRequest()
    decrypt.set_CiphertextBlob(sealed["CiphertextBlob"])
    decrypt.set_EncryptionContext({"purpose": "legacy sdk"})
    opened = legacy_call(server, client, decrypt)
    assert (opened["Plaintext"], opened["KeyId"]) == ("bGVnYWN5", key_id)
    assert [k["KeyId"] for k in legacy_call(server, client, ListKeysRequest())["Keys"]["Key"]] == [key_id]


def test_a_wrong_secret_is_signature_does_not_match(server: RunningServer, scheme: dict[str, str]) -> None:
    kms = server.kms(secret=ROOT_SECRET + "x", **scheme)
    error = sdk_error(lambda: kms.list_keys(models.ListKeysRequest()))
    assert (error.code, http_status(error)) == ("SignatureDoesNotMatch", 400)
    assert ROOT_SECRET not in str(error.data)


def test_an_unknown_access_key_is_invalid_access_key_id_not_found(
    server: RunningServer, scheme: dict[str, str]
) -> None:
    kms = server.kms(access_key_id="LTAI5tNOSUCHKEY000000000", **scheme)
    error = sdk_error(lambda: kms.list_keys(models.ListKeysRequest()))
    assert (error.code, http_status(error)) == ("InvalidAccessKeyId.NotFound", 404)
    assert "LTAI5tNOSUCHKEY000000000" in error.data["Message"]


def test_the_legacy_client_sees_a_wrong_secret_as_signature_does_not_match(server: RunningServer) -> None:
    client = legacy_client(secret="not-the-secret")
    with pytest.raises(ServerException) as caught:
        legacy_call(server, client, ListKeysRequest())
    assert (caught.value.get_error_code(), caught.value.get_http_status()) == ("SignatureDoesNotMatch", 400)


def test_an_sts_security_token_is_refused_with_a_clear_message(
    server: RunningServer, scheme: dict[str, str]
) -> None:
    kms = server.kms(security_token="CAIS.STS-TOKEN+/==", **scheme)
    error = sdk_error(lambda: kms.list_keys(models.ListKeysRequest()))
    assert (error.code, http_status(error)) == ("InvalidSecurityToken.NotSupported", 400)
    assert "STS security tokens are not supported" in error.data["Message"]


def test_signatures_are_checked_against_the_wall_clock_after_the_test_clock_moves(
    server: RunningServer, scheme: dict[str, str]
) -> None:
    moved = server.advance(30 * 86_400)
    assert moved["OffsetSeconds"] == 30 * 86_400
    kms = server.kms(**scheme)
    created = kms.create_key(models.CreateKeyRequest()).body.key_metadata.creation_date
    business_now = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(business_now - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)
