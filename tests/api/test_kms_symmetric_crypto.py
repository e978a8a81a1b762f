"""Symmetric cryptography through the official SDK: Encrypt/Decrypt with contexts, data keys, ReEncrypt,
tampered blobs, DryRun and GetRandomPassword."""

from __future__ import annotations

import base64
import string
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

PLAINTEXT = "dGhlIGVhZ2xlIGhhcyBsYW5kZWQ="
CONTEXT = {"purpose": "invoice", "tenant": "acme"}
KEY_ID_AT = (
    3  # the blob is b"VG" | 0x01 | len | key id | len | version id | nonce (12) | ciphertext | tag (16)
)


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def create_key(kms: Any, **fields: Any) -> str:
    return str(kms.create_key(models.CreateKeyRequest(**fields)).body.key_metadata.key_id)


def encrypt(kms: Any, key_id: str, plaintext: str = PLAINTEXT, context: dict[str, Any] | None = None) -> Any:
    request = models.EncryptRequest(key_id=key_id, plaintext=plaintext, encryption_context=context)
    return kms.encrypt(request).body


def decrypt(kms: Any, blob: str, context: dict[str, Any] | None = None) -> Any:
    return kms.decrypt(models.DecryptRequest(ciphertext_blob=blob, encryption_context=context)).body


def data_key(kms: Any, key_id: str, **fields: Any) -> Any:
    return kms.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id, **fields)).body


def password(kms: Any, **fields: str) -> str:
    return str(kms.get_random_password(models.GetRandomPasswordRequest(**fields)).body.random_password)


def regions(blob: bytes) -> dict[str, int]:
    """The offset of one byte inside each region of a ciphertext blob."""
    key_len = blob[KEY_ID_AT]
    version_at = KEY_ID_AT + 1 + key_len
    nonce_at = version_at + 1 + blob[version_at]
    return {
        "magic": 0,
        "format": 2,
        "key-id-length": KEY_ID_AT,
        "key-id": KEY_ID_AT + 1 + key_len // 2,
        "version-id-length": version_at,
        "version-id": version_at + 1,
        "nonce": nonce_at + 5,
        "ciphertext": nonce_at + 12,
        "tag": len(blob) - 1,
    }


def flipped(blob: bytes, offset: int, mask: int = 0x80) -> str:
    changed = bytearray(blob)
    changed[offset] ^= mask
    return base64.b64encode(bytes(changed)).decode()


# -- Encrypt and Decrypt -------------------------------------------------------------------


def test_encrypt_and_decrypt_with_an_encryption_context(kms: Any) -> None:
    for spec in ("Aliyun_AES_256", "Aliyun_AES_128"):
        key_id = create_key(kms, key_spec=spec)
        sealed = encrypt(kms, key_id, context=CONTEXT)
        assert sealed.key_id == key_id and sealed.key_version_id
        assert PLAINTEXT not in sealed.ciphertext_blob
        assert encrypt(kms, key_id, context=CONTEXT).ciphertext_blob != sealed.ciphertext_blob
        reordered = {"tenant": "acme", "purpose": "invoice"}
        opened = decrypt(kms, sealed.ciphertext_blob, reordered)
        assert (opened.plaintext, opened.key_id) == (PLAINTEXT, key_id)
        assert opened.key_version_id == sealed.key_version_id


def test_a_wrong_or_missing_encryption_context_is_invalid_ciphertext(kms: Any) -> None:
    key_id = create_key(kms)
    with_context = encrypt(kms, key_id, context=CONTEXT).ciphertext_blob
    without_context = encrypt(kms, key_id).ciphertext_blob
    attempts = [
        (with_context, None),
        (with_context, {"purpose": "invoice"}),
        (with_context, {"purpose": "invoice", "tenant": "other"}),
        (without_context, CONTEXT),
    ]
    for blob, context in attempts:
        err = fails(lambda blob=blob, context=context: decrypt(kms, blob, context))
        assert (err.code, err.status_code) == ("InvalidCiphertext", 400), context
        assert PLAINTEXT not in err.message


def test_a_tampered_blob_is_rejected_in_every_region_and_never_a_server_error(kms: Any) -> None:
    key_id = create_key(kms)
    blob = base64.b64decode(encrypt(kms, key_id, context=CONTEXT).ciphertext_blob)
    for region, offset in regions(blob).items():
        err = fails(lambda offset=offset: decrypt(kms, flipped(blob, offset), CONTEXT))
        assert (err.code, err.status_code) == ("InvalidCiphertext", 400), region
    renamed = fails(lambda: decrypt(kms, flipped(blob, KEY_ID_AT + 10, 0x01), CONTEXT))
    assert (renamed.code, renamed.status_code) == ("Forbidden.KeyNotFound", 404)
    for cut in (len(blob) - 1, 40, 3):
        truncated = base64.b64encode(blob[:cut]).decode()
        err = fails(lambda truncated=truncated: decrypt(kms, truncated, CONTEXT))
        assert (err.code, err.status_code) == ("InvalidCiphertext", 400), cut


def test_a_blob_relabelled_with_another_key_or_version_does_not_decrypt(kms: Any) -> None:
    first, second = create_key(kms), create_key(kms)
    sealed, other = encrypt(kms, first), encrypt(kms, second)
    blob = base64.b64decode(sealed.ciphertext_blob)
    relabelled = blob.replace(first.encode(), second.encode()).replace(
        sealed.key_version_id.encode(), other.key_version_id.encode()
    )
    err = fails(lambda: decrypt(kms, base64.b64encode(relabelled).decode()))
    assert (err.code, err.status_code) == ("InvalidCiphertext", 400)
    new = kms.create_key_version(models.CreateKeyVersionRequest(key_id=first)).body.key_version.key_version_id
    moved = blob.replace(sealed.key_version_id.encode(), new.encode())
    err = fails(lambda: decrypt(kms, base64.b64encode(moved).decode()))
    assert (err.code, err.status_code) == ("InvalidCiphertext", 400)
    assert decrypt(kms, sealed.ciphertext_blob).plaintext == PLAINTEXT


def test_a_ciphertext_blob_that_is_not_base64_is_an_invalid_parameter(kms: Any) -> None:
    err = fails(lambda: decrypt(kms, "not base64 at all!"))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "CiphertextBlob" in err.message


def test_encrypt_rejects_plaintext_longer_than_6144_bytes(kms: Any) -> None:
    key_id = create_key(kms)
    assert decrypt(kms, encrypt(kms, key_id, "a" * 6144).ciphertext_blob).plaintext == "a" * 6144
    err = fails(lambda: encrypt(kms, key_id, "a" * 6145))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "Plaintext" in err.message


def test_encrypt_with_an_asymmetric_key_is_unsupported(kms: Any) -> None:
    signing = create_key(kms, key_spec="EC_P256", key_usage="SIGN/VERIFY")
    rsa_encryption = create_key(kms, key_spec="RSA_2048", key_usage="ENCRYPT/DECRYPT")
    for key_id in (signing, rsa_encryption):
        for call in (lambda key_id=key_id: encrypt(kms, key_id), lambda key_id=key_id: data_key(kms, key_id)):
            err = fails(call)
            assert (err.code, err.status_code) == ("UnsupportedOperation", 400)
            assert key_id in err.message


# -- data keys -----------------------------------------------------------------------------


def test_generate_data_key_sizes_follow_key_spec_and_number_of_bytes(kms: Any) -> None:
    key_id = create_key(kms)
    cases = [
        ({}, 32),
        ({"key_spec": "AES_256"}, 32),
        ({"key_spec": "AES_128"}, 16),
        ({"number_of_bytes": 1}, 1),
    ]
    cases.append(({"number_of_bytes": 1024}, 1024))
    for fields, size in cases:
        body = data_key(kms, key_id, **fields)
        assert len(base64.b64decode(body.plaintext)) == size, fields
        assert body.key_id == key_id and body.key_version_id


def test_decrypting_a_data_key_returns_the_same_plaintext(kms: Any) -> None:
    key_id = create_key(kms)
    body = data_key(kms, key_id, key_spec="AES_256", encryption_context=CONTEXT)
    opened = decrypt(kms, body.ciphertext_blob, CONTEXT)
    assert (opened.plaintext, opened.key_version_id) == (body.plaintext, body.key_version_id)
    err = fails(lambda: decrypt(kms, body.ciphertext_blob))
    assert err.code == "InvalidCiphertext"


def test_generate_data_key_rejects_bad_sizes_and_specs(kms: Any) -> None:
    key_id = create_key(kms)
    for fields in ({"number_of_bytes": 0}, {"number_of_bytes": 1025}, {"key_spec": "AES_512"}):
        err = fails(lambda fields=fields: data_key(kms, key_id, **fields))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), fields
        assert ("NumberOfBytes" if "number_of_bytes" in fields else "KeySpec") in err.message


def test_generate_data_key_without_plaintext_returns_only_the_sealed_key(kms: Any) -> None:
    key_id = create_key(kms)
    response = kms.generate_data_key_without_plaintext(
        models.GenerateDataKeyWithoutPlaintextRequest(
            key_id=key_id, key_spec="AES_128", encryption_context=CONTEXT
        )
    )
    body = response.body.to_map()
    assert set(body) == {"CiphertextBlob", "KeyId", "KeyVersionId", "RequestId"}
    opened = decrypt(kms, body["CiphertextBlob"], CONTEXT)
    assert len(base64.b64decode(opened.plaintext)) == 16
    assert opened.key_id == key_id


# -- ReEncrypt -----------------------------------------------------------------------------


def test_re_encrypt_moves_a_ciphertext_to_another_key_and_context(kms: Any) -> None:
    source, destination = create_key(kms), create_key(kms)
    blob = encrypt(kms, source, context=CONTEXT).ciphertext_blob
    moved = kms.re_encrypt(
        models.ReEncryptRequest(
            ciphertext_blob=blob,
            source_encryption_context=CONTEXT,
            destination_key_id=destination,
            destination_encryption_context={"purpose": "archive"},
        )
    ).body
    assert moved.key_id == destination
    opened = decrypt(kms, moved.ciphertext_blob, {"purpose": "archive"})
    assert (opened.plaintext, opened.key_id) == (PLAINTEXT, destination)
    err = fails(lambda: decrypt(kms, moved.ciphertext_blob, CONTEXT))
    assert err.code == "InvalidCiphertext"


def test_re_encrypt_needs_the_source_context_and_an_enabled_destination(kms: Any) -> None:
    source, destination = create_key(kms), create_key(kms)
    blob = encrypt(kms, source, context=CONTEXT).ciphertext_blob
    wrong_context = models.ReEncryptRequest(
        ciphertext_blob=blob, source_encryption_context={"purpose": "other"}, destination_key_id=destination
    )
    err = fails(lambda: kms.re_encrypt(wrong_context))
    assert (err.code, err.status_code) == ("InvalidCiphertext", 400)
    kms.disable_key(models.DisableKeyRequest(key_id=destination))
    disabled = models.ReEncryptRequest(
        ciphertext_blob=blob, source_encryption_context=CONTEXT, destination_key_id=destination
    )
    err = fails(lambda: kms.re_encrypt(disabled))
    assert (err.code, err.status_code) == ("Rejected.Disabled", 400)


# -- DryRun --------------------------------------------------------------------------------


def test_dry_run_checks_the_request_without_performing_it_and_reports_real_problems(kms: Any) -> None:
    key_id, other = create_key(kms), create_key(kms)
    blob = encrypt(kms, key_id).ciphertext_blob
    calls = [
        lambda: kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=PLAINTEXT, dry_run="true")),
        lambda: kms.decrypt(models.DecryptRequest(ciphertext_blob=blob, dry_run="true")),
        lambda: kms.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id, dry_run="true")),
        lambda: kms.generate_data_key_without_plaintext(
            models.GenerateDataKeyWithoutPlaintextRequest(key_id=key_id, dry_run="true")
        ),
        lambda: kms.re_encrypt(
            models.ReEncryptRequest(ciphertext_blob=blob, destination_key_id=other, dry_run="true")
        ),
    ]
    for call in calls:
        err = fails(call)
        assert (err.code, err.status_code) == ("DryRunOperationError", 400)
        assert "DryRun" in err.message
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    err = fails(calls[0])
    assert (err.code, err.status_code) == ("Rejected.Disabled", 400)


# -- GetRandomPassword ---------------------------------------------------------------------


def test_get_random_password_honours_length_and_requires_each_type(kms: Any) -> None:
    assert len(password(kms)) == 32
    for length in (8, 20, 128):
        text = password(kms, password_length=str(length), require_each_included_type="true")
        assert len(text) == length
        for cls in (string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation):
            assert any(c in cls for c in text), (length, text)


def test_get_random_password_honours_exclusions(kms: Any) -> None:
    only_digits = password(
        kms,
        password_length="64",
        exclude_lowercase="true",
        exclude_uppercase="true",
        exclude_punctuation="true",
    )
    assert len(only_digits) == 64 and set(only_digits) <= set(string.digits)
    no_vowels = password(kms, password_length="128", exclude_characters="aeiouAEIOU")
    assert not set(no_vowels) & set("aeiouAEIOU")
    letters = password(kms, password_length="40", exclude_numbers="true", exclude_punctuation="true")
    assert letters.isalpha() and len(letters) == 40


def test_get_random_password_rejects_bad_lengths_and_empty_alphabets(kms: Any) -> None:
    for length in ("7", "129", "abc"):
        err = fails(lambda length=length: password(kms, password_length=length))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), length
        assert "PasswordLength" in err.message
    err = fails(
        lambda: password(
            kms,
            exclude_lowercase="true",
            exclude_uppercase="true",
            exclude_numbers="true",
            exclude_punctuation="true",
        )
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
