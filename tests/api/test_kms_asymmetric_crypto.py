"""Asymmetric cryptography through the official SDK, checked independently with `cryptography`
against the public key that GetPublicKey returns."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

MESSAGE = b"pay 100 to bob"
DIGEST = hashlib.sha256(MESSAGE).digest()
OAEP_HASHES = {"RSAES_OAEP_SHA_256": hashes.SHA256(), "RSAES_OAEP_SHA_1": hashes.SHA1()}


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def create_key(kms: Any, spec: str, usage: str) -> Any:
    return kms.create_key(models.CreateKeyRequest(key_spec=spec, key_usage=usage)).body.key_metadata


def public_key(kms: Any, key_id: str) -> Any:
    body = kms.get_public_key(models.GetPublicKeyRequest(key_id=key_id)).body
    return serialization.load_pem_public_key(body.public_key.encode())


def sign(kms: Any, key_id: str, algorithm: str, digest: bytes = DIGEST, **fields: Any) -> Any:
    request = models.AsymmetricSignRequest(key_id=key_id, algorithm=algorithm, digest=b64(digest), **fields)
    return kms.asymmetric_sign(request).body


def verify(kms: Any, key_id: str, algorithm: str, signature: str, digest: bytes = DIGEST) -> Any:
    request = models.AsymmetricVerifyRequest(
        key_id=key_id, algorithm=algorithm, digest=b64(digest), value=signature
    )
    return kms.asymmetric_verify(request).body


def asymmetric_encrypt(kms: Any, key_id: str, algorithm: str, plaintext: bytes) -> Any:
    request = models.AsymmetricEncryptRequest(key_id=key_id, algorithm=algorithm, plaintext=b64(plaintext))
    return kms.asymmetric_encrypt(request).body


def asymmetric_decrypt(kms: Any, key_id: str, algorithm: str, blob: str) -> Any:
    request = models.AsymmetricDecryptRequest(key_id=key_id, algorithm=algorithm, ciphertext_blob=blob)
    return kms.asymmetric_decrypt(request).body


def oaep(algorithm: str) -> padding.OAEP:
    hash_ = OAEP_HASHES[algorithm]
    return padding.OAEP(mgf=padding.MGF1(hash_), algorithm=hash_, label=None)


def verify_locally(public: Any, algorithm: str, signature: bytes) -> None:
    """Raises InvalidSignature unless `signature` is valid over DIGEST."""
    prehashed = utils.Prehashed(hashes.SHA256())
    if algorithm == "ECDSA_SHA_256":
        public.verify(signature, DIGEST, ec.ECDSA(prehashed))
    elif algorithm == "RSA_PSS_SHA_256":
        public.verify(
            signature, DIGEST, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), prehashed
        )
    else:
        public.verify(signature, DIGEST, padding.PKCS1v15(), prehashed)


# -- encryption ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072"])
def test_asymmetric_encrypt_and_decrypt_round_trip_with_both_oaep_hashes(kms: Any, spec: str) -> None:
    key = create_key(kms, spec, "ENCRYPT/DECRYPT")
    public = public_key(kms, key.key_id)
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == int(spec[4:])
    for algorithm in OAEP_HASHES:
        sealed = asymmetric_encrypt(kms, key.key_id, algorithm, MESSAGE)
        assert (sealed.key_id, sealed.key_version_id) == (key.key_id, key.primary_key_version)
        opened = asymmetric_decrypt(kms, key.key_id, algorithm, sealed.ciphertext_blob)
        assert base64.b64decode(opened.plaintext) == MESSAGE
        assert opened.key_version_id == key.primary_key_version
        local = public.encrypt(b"sealed outside Vigil", oaep(algorithm))
        assert base64.b64decode(asymmetric_decrypt(kms, key.key_id, algorithm, b64(local)).plaintext) == (
            b"sealed outside Vigil"
        )


def test_bad_asymmetric_ciphertexts_and_oversized_plaintexts_are_rejected(kms: Any) -> None:
    key_id = create_key(kms, "RSA_2048", "ENCRYPT/DECRYPT").key_id
    blob = asymmetric_encrypt(kms, key_id, "RSAES_OAEP_SHA_256", MESSAGE).ciphertext_blob
    err = fails(lambda: asymmetric_decrypt(kms, key_id, "RSAES_OAEP_SHA_1", blob))
    assert (err.code, err.status_code) == ("InvalidCiphertext", 400)
    err = fails(lambda: asymmetric_decrypt(kms, key_id, "RSAES_OAEP_SHA_256", b64(b"\x00" * 256)))
    assert (err.code, err.status_code) == ("InvalidCiphertext", 400)
    assert asymmetric_encrypt(kms, key_id, "RSAES_OAEP_SHA_256", b"x" * 190).ciphertext_blob
    err = fails(lambda: asymmetric_encrypt(kms, key_id, "RSAES_OAEP_SHA_256", b"x" * 191))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "Plaintext" in err.message


# -- signatures ----------------------------------------------------------------------------


SIGNING_CASES = [
    ("RSA_2048", "RSA_PSS_SHA_256"),
    ("RSA_2048", "RSA_PKCS1_SHA_256"),
    ("RSA_3072", "RSA_PSS_SHA_256"),
    ("EC_P256", "ECDSA_SHA_256"),
    ("EC_P256K", "ECDSA_SHA_256"),
]


def test_signatures_verify_in_vigil_and_independently_with_the_public_key(kms: Any) -> None:
    keys: dict[str, Any] = {}
    for spec, algorithm in SIGNING_CASES:
        key = keys.get(spec) or keys.setdefault(spec, create_key(kms, spec, "SIGN/VERIFY"))
        signed = sign(kms, key.key_id, algorithm)
        assert (signed.key_id, signed.key_version_id) == (key.key_id, key.primary_key_version)
        verify_locally(public_key(kms, key.key_id), algorithm, base64.b64decode(signed.value))
        verified = verify(kms, key.key_id, algorithm, signed.value)
        assert verified.value is True, (spec, algorithm)
        assert verified.key_version_id == key.primary_key_version


def test_the_public_keys_have_the_curve_and_size_of_the_key_spec(kms: Any) -> None:
    for spec, curve in (("EC_P256", "secp256r1"), ("EC_P256K", "secp256k1")):
        key = create_key(kms, spec, "SIGN/VERIFY")
        body = kms.get_public_key(models.GetPublicKeyRequest(key_id=key.key_id)).body
        assert body.public_key.startswith("-----BEGIN PUBLIC KEY-----")
        assert (body.key_id, body.key_version_id) == (key.key_id, key.primary_key_version)
        public = public_key(kms, key.key_id)
        assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == curve


def test_asymmetric_verify_answers_false_as_a_json_boolean_for_a_bad_signature(kms: Any) -> None:
    key_id = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    signature = sign(kms, key_id, "ECDSA_SHA_256").value
    other_digest = hashlib.sha256(b"pay 1000 to bob").digest()
    assert verify(kms, key_id, "ECDSA_SHA_256", signature, other_digest).value is False
    assert verify(kms, key_id, "ECDSA_SHA_256", b64(b"\x30\x06garbage")).value is False
    assert verify(kms, key_id, "ECDSA_SHA_256", signature).value is True


def test_signing_accepts_an_explicit_key_version(kms: Any) -> None:
    key = create_key(kms, "EC_P256K", "SIGN/VERIFY")
    signed = sign(kms, key.key_id, "ECDSA_SHA_256", key_version_id=key.primary_key_version)
    assert signed.key_version_id == key.primary_key_version
    err = fails(lambda: sign(kms, key.key_id, "ECDSA_SHA_256", key_version_id="no-such-version"))
    assert (err.code, err.status_code) == ("Forbidden.KeyVersionNotFound", 404)


# -- wrong requests ------------------------------------------------------------------------


def test_an_algorithm_the_key_does_not_support_is_an_invalid_parameter(kms: Any) -> None:
    rsa_key = create_key(kms, "RSA_2048", "SIGN/VERIFY").key_id
    ec_key = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    for key_id, algorithm in (
        (rsa_key, "ECDSA_SHA_256"),
        (ec_key, "RSA_PSS_SHA_256"),
        (ec_key, "RSA_PKCS1_SHA_256"),
        (rsa_key, "RSAES_OAEP_SHA_256"),
        (ec_key, "SM2DSA"),
    ):
        err = fails(lambda key_id=key_id, algorithm=algorithm: sign(kms, key_id, algorithm))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), algorithm
        assert "Algorithm" in err.message


def test_a_digest_that_is_not_32_bytes_is_an_invalid_parameter(kms: Any) -> None:
    key_id = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    for digest in (b"", MESSAGE, DIGEST + b"\x00"):
        err = fails(lambda digest=digest: sign(kms, key_id, "ECDSA_SHA_256", digest))
        assert err.code in ("InvalidParameter", "MissingParameter") and err.status_code == 400
        assert "Digest" in err.message


def test_operations_against_the_wrong_kind_of_key_are_unsupported(kms: Any) -> None:
    aes = create_key(kms, "Aliyun_AES_256", "ENCRYPT/DECRYPT").key_id
    signer = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    calls = [
        lambda: sign(kms, aes, "ECDSA_SHA_256"),
        lambda: asymmetric_encrypt(kms, aes, "RSAES_OAEP_SHA_256", MESSAGE),
        lambda: kms.get_public_key(models.GetPublicKeyRequest(key_id=aes)),
        lambda: asymmetric_encrypt(kms, signer, "RSAES_OAEP_SHA_256", MESSAGE),
    ]
    for call in calls:
        err = fails(call)
        assert (err.code, err.status_code) == ("UnsupportedOperation", 400)


def test_a_disabled_signing_key_neither_signs_nor_shows_its_public_key(kms: Any) -> None:
    key_id = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    signature = sign(kms, key_id, "ECDSA_SHA_256").value
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    for call in (
        lambda: sign(kms, key_id, "ECDSA_SHA_256"),
        lambda: verify(kms, key_id, "ECDSA_SHA_256", signature),
        lambda: kms.get_public_key(models.GetPublicKeyRequest(key_id=key_id)),
    ):
        err = fails(call)
        assert (err.code, err.status_code) == ("Rejected.Disabled", 400)


def test_dry_run_does_not_sign_or_encrypt(kms: Any) -> None:
    signer = create_key(kms, "EC_P256", "SIGN/VERIFY").key_id
    err = fails(lambda: sign(kms, signer, "ECDSA_SHA_256", dry_run="true"))
    assert (err.code, err.status_code) == ("DryRunOperationError", 400)
    encrypter = create_key(kms, "RSA_2048", "ENCRYPT/DECRYPT").key_id
    err = fails(
        lambda: kms.asymmetric_encrypt(
            models.AsymmetricEncryptRequest(
                key_id=encrypter, algorithm="RSAES_OAEP_SHA_256", plaintext=b64(MESSAGE), dry_run="true"
            )
        )
    )
    assert (err.code, err.status_code) == ("DryRunOperationError", 400)
