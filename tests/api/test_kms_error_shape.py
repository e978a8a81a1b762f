"""The shape of KMS errors as the official SDK sees them, and that no plaintext ever appears in one."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import RunningServer

SECRET_TEXT = "CORRECT-HORSE-BATTERY-STAPLE-7d1f"
SECRET = base64.b64encode(SECRET_TEXT.encode()).decode()
REQUEST_ID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def create_key(kms: Any, **fields: Any) -> str:
    return str(kms.create_key(models.CreateKeyRequest(**fields)).body.key_metadata.key_id)


def assert_well_formed(err: ClientException, code: str, status: int, names: str) -> None:
    """The SDK saw a 4xx with Code, Message and RequestId, and the message names the problem."""
    assert (err.code, err.status_code) == (code, status)
    assert 400 <= err.status_code < 500
    assert REQUEST_ID.match(err.request_id), err.request_id
    assert err.data["Code"] == code and err.data["RequestId"] == err.request_id
    assert names in err.data["Message"], err.data["Message"]
    assert err.message == f"code: {status}, {err.data['Message']} request id: {err.request_id}"


def test_every_kind_of_error_reaches_the_sdk_well_formed(kms: Any) -> None:
    key_id = create_key(kms)
    disabled = create_key(kms)
    kms.disable_key(models.DisableKeyRequest(key_id=disabled))
    cases = [
        (lambda: kms.encrypt(models.EncryptRequest(plaintext="aGk=")), "MissingParameter", 400, "KeyId"),
        (lambda: kms.list_keys(models.ListKeysRequest(page_size=500)), "InvalidParameter", 400, "PageSize"),
        (
            lambda: kms.describe_key(models.DescribeKeyRequest(key_id="key-missing000000000000")),
            "Forbidden.KeyNotFound",
            404,
            "key-missing000000000000",
        ),
        (
            lambda: kms.describe_key(models.DescribeKeyRequest(key_id="alias/missing")),
            "Forbidden.AliasNotFound",
            404,
            "alias/missing",
        ),
        (
            lambda: kms.encrypt(models.EncryptRequest(key_id=disabled, plaintext="aGk=")),
            "Rejected.Disabled",
            400,
            disabled,
        ),
        (
            lambda: kms.decrypt(
                models.DecryptRequest(ciphertext_blob=base64.b64encode(b"VG\x01junk").decode())
            ),
            "InvalidCiphertext",
            400,
            "ciphertext",
        ),
        (
            lambda: kms.schedule_key_deletion(
                models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=3)
            ),
            "InvalidParameter",
            400,
            "PendingWindowInDays",
        ),
    ]
    for call, code, status, names in cases:
        assert_well_formed(fails(call), code, status, names)


def test_bad_credentials_are_client_errors_with_a_request_id(server: RunningServer) -> None:
    wrong_secret = server.kms(secret="not-the-secret-at-all-000000000")
    err = fails(lambda: wrong_secret.list_keys(models.ListKeysRequest()))
    assert_well_formed(err, "SignatureDoesNotMatch", 400, "signature")
    unknown = server.kms(access_key_id="LTAI5tUNKNOWNACCESSKEY00")
    err = fails(lambda: unknown.list_keys(models.ListKeysRequest()))
    assert (err.code, err.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    assert REQUEST_ID.match(err.request_id)
    assert "not-the-secret-at-all" not in str(err.data)


def test_no_plaintext_appears_in_any_error(kms: Any) -> None:
    key_id = create_key(kms)
    signer = create_key(kms, key_spec="EC_P256", key_usage="SIGN/VERIFY")
    context = {"purpose": "payroll"}
    blob = kms.encrypt(
        models.EncryptRequest(key_id=key_id, plaintext=SECRET, encryption_context=context)
    ).body
    raw = bytearray(base64.b64decode(blob.ciphertext_blob))
    raw[-1] ^= 0x80
    tampered = base64.b64encode(bytes(raw)).decode()
    provocations = [
        lambda: kms.decrypt(models.DecryptRequest(ciphertext_blob=blob.ciphertext_blob)),
        lambda: kms.decrypt(
            models.DecryptRequest(ciphertext_blob=blob.ciphertext_blob, encryption_context={"x": "y"})
        ),
        lambda: kms.decrypt(models.DecryptRequest(ciphertext_blob=tampered, encryption_context=context)),
        lambda: kms.encrypt(models.EncryptRequest(key_id=signer, plaintext=SECRET)),
        lambda: kms.encrypt(models.EncryptRequest(key_id="key-missing000000000000", plaintext=SECRET)),
        lambda: kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=SECRET * 200)),
        lambda: kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=SECRET_TEXT, dry_run="true")),
        lambda: kms.encrypt(
            models.EncryptRequest(
                key_id=key_id, plaintext=SECRET, encryption_context={"k": SECRET_TEXT}, dry_run="maybe"
            )
        ),
        lambda: kms.asymmetric_encrypt(
            models.AsymmetricEncryptRequest(key_id=signer, algorithm="RSAES_OAEP_SHA_256", plaintext=SECRET)
        ),
        lambda: kms.asymmetric_sign(
            models.AsymmetricSignRequest(key_id=signer, algorithm="ECDSA_SHA_256", digest=SECRET)
        ),
    ]
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    provocations.append(lambda: kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=SECRET)))
    for provoke in provocations:
        err = fails(provoke)
        assert 400 <= err.status_code < 500 and err.code and err.request_id
        for leaked in (SECRET, SECRET_TEXT, SECRET[:16], SECRET_TEXT[:16]):
            assert leaked not in err.message, (err.code, err.message)
            assert leaked not in str(err.data), (err.code, err.data)
