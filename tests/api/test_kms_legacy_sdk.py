"""The legacy aliyunsdkcore AcsClient with aliyun-python-sdk-kms (v20160120) against Vigil, and its
interoperation with the current SDK."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import RpcRequest
from aliyunsdkkms.request.v20160120.CreateKeyRequest import CreateKeyRequest
from aliyunsdkkms.request.v20160120.DecryptRequest import DecryptRequest
from aliyunsdkkms.request.v20160120.DescribeKeyRequest import DescribeKeyRequest
from aliyunsdkkms.request.v20160120.EncryptRequest import EncryptRequest
from aliyunsdkkms.request.v20160120.GenerateDataKeyRequest import GenerateDataKeyRequest

from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer

PLAINTEXT = "bGVnYWN5IHNlY3JldA=="
CONTEXT = {"purpose": "wire test", "tenant": "acme"}

Legacy = Callable[[RpcRequest], dict[str, Any]]


@pytest.fixture
def legacy(server: RunningServer) -> Legacy:
    """Sends a legacy request to the test server over plain HTTP and returns the parsed body."""
    client = AcsClient(ROOT_AK, ROOT_SECRET, REGION)

    def call(request: RpcRequest) -> dict[str, Any]:
        request.set_endpoint(server.endpoint)
        request.set_protocol_type("http")
        return dict(json.loads(client.do_action_with_exception(request)))

    return call


def create_key(legacy: Legacy, description: str = "") -> dict[str, Any]:
    request = CreateKeyRequest()
    request.set_Description(description)
    return dict(legacy(request)["KeyMetadata"])


def encrypt(legacy: Legacy, key_id: str, context: Any = None) -> dict[str, Any]:
    request = EncryptRequest()
    request.set_KeyId(key_id)
    request.set_Plaintext(PLAINTEXT)
    if context is not None:
        request.set_EncryptionContext(context)
    return legacy(request)


def decrypt(legacy: Legacy, blob: str, context: Any = None) -> dict[str, Any]:
    request = DecryptRequest()
    request.set_CiphertextBlob(blob)
    if context is not None:
        request.set_EncryptionContext(context)
    return legacy(request)


def server_error(call: Any) -> ServerException:
    with pytest.raises(ServerException) as info:
        call()
    return info.value


def test_legacy_create_key_and_describe_key(server: RunningServer, legacy: Legacy) -> None:
    created = create_key(legacy, "from the legacy sdk")
    assert (created["KeySpec"], created["KeyState"]) == ("Aliyun_AES_256", "Enabled")
    request = DescribeKeyRequest()
    request.set_KeyId(created["KeyId"])
    body = legacy(request)
    meta = body["KeyMetadata"]
    assert body["RequestId"]
    assert meta["KeyId"] == created["KeyId"]
    assert meta["Description"] == "from the legacy sdk"
    assert meta["Arn"] == f"acs:kms:cn-hangzhou:{server.account_id}:key/{created['KeyId']}"


def test_legacy_encrypt_with_a_python_dict_context_decrypts_with_the_same_context(legacy: Legacy) -> None:
    key_id = create_key(legacy)["KeyId"]
    sealed = encrypt(legacy, key_id, CONTEXT)
    assert sealed["KeyId"] == key_id
    opened = decrypt(legacy, sealed["CiphertextBlob"], {"tenant": "acme", "purpose": "wire test"})
    assert (opened["Plaintext"], opened["KeyId"]) == (PLAINTEXT, key_id)
    assert opened["KeyVersionId"] == sealed["KeyVersionId"]


def test_legacy_context_matches_the_json_context_of_the_current_sdk(
    server: RunningServer, legacy: Legacy
) -> None:
    kms = server.kms()
    key_id = create_key(legacy)["KeyId"]
    sealed = encrypt(legacy, key_id, CONTEXT)
    opened = kms.decrypt(
        models.DecryptRequest(ciphertext_blob=sealed["CiphertextBlob"], encryption_context=CONTEXT)
    )
    assert opened.body.plaintext == PLAINTEXT
    modern = kms.encrypt(
        models.EncryptRequest(key_id=key_id, plaintext=PLAINTEXT, encryption_context=CONTEXT)
    )
    assert decrypt(legacy, modern.body.ciphertext_blob, json.dumps(CONTEXT))["Plaintext"] == PLAINTEXT


def test_legacy_decrypt_without_the_context_raises_server_exception(legacy: Legacy) -> None:
    key_id = create_key(legacy)["KeyId"]
    blob = encrypt(legacy, key_id, CONTEXT)["CiphertextBlob"]
    err = server_error(lambda: decrypt(legacy, blob))
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidCiphertext", 400)
    assert err.get_request_id()
    assert PLAINTEXT not in err.get_error_msg()


def test_legacy_errors_carry_code_status_request_id_and_message(legacy: Legacy) -> None:
    request = DescribeKeyRequest()
    request.set_KeyId("key-doesnotexist0000000")
    err = server_error(lambda: legacy(request))
    assert (err.get_error_code(), err.get_http_status()) == ("Forbidden.KeyNotFound", 404)
    assert len(err.get_request_id()) == 36
    assert "key-doesnotexist0000000" in err.get_error_msg()


def test_legacy_generate_data_key_decrypts_with_the_current_sdk(
    server: RunningServer, legacy: Legacy
) -> None:
    key_id = create_key(legacy)["KeyId"]
    request = GenerateDataKeyRequest()
    request.set_KeyId(key_id)
    request.set_NumberOfBytes(16)
    request.set_EncryptionContext(CONTEXT)
    generated = legacy(request)
    opened = server.kms().decrypt(
        models.DecryptRequest(ciphertext_blob=generated["CiphertextBlob"], encryption_context=CONTEXT)
    )
    assert opened.body.plaintext == generated["Plaintext"]
