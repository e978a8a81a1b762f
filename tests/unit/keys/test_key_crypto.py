"""Key material, AES-GCM sealing and the RSA/ECDSA operations of asymmetric keys."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from vigil.errors import FailedPrecondition, InvalidArgument
from vigil.keys.crypto import (
    AsymmetricKey,
    InvalidCiphertext,
    KeyUsageMismatch,
    SymmetricKey,
    SystemRandom,
    generate_material,
)
from vigil.keys.specs import Algorithm, KeySpec, KeyUsage, allowed_algorithms
from vigil.testing import SeededRandom

ED = KeyUsage.ENCRYPT_DECRYPT
SV = KeyUsage.SIGN_VERIFY
ASYMMETRIC = [KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.EC_P256, KeySpec.EC_P256K]
NONCE = bytes(range(12))
DIGEST = hashlib.sha256(b"message").digest()
OTHER_DIGEST = hashlib.sha256(b"another message").digest()


@pytest.fixture(scope="module")
def materials() -> dict[KeySpec, bytes]:
    rng = SeededRandom()
    return {spec: generate_material(spec, rng) for spec in ASYMMETRIC}


def pairs(usage: KeyUsage) -> list[tuple[KeySpec, Algorithm]]:
    return [(spec, a) for spec in ASYMMETRIC for a in sorted(allowed_algorithms(spec, usage))]


ENCRYPTION = pairs(ED)
SIGNING = pairs(SV)


def pair_ids(table: list[tuple[KeySpec, Algorithm]]) -> list[str]:
    return [f"{spec.value}-{algorithm.value}" for spec, algorithm in table]


# Material


@pytest.mark.parametrize(
    ("spec", "size"),
    [(KeySpec.Aliyun_AES_256, 32), (KeySpec.Aliyun_AES_128, 16)],
    ids=["AES_256", "AES_128"],
)
def test_aes_material_is_raw_bytes_from_the_random_source(spec: KeySpec, size: int) -> None:
    assert generate_material(spec, SeededRandom(b"a")) == SeededRandom(b"a").bytes(size)
    assert len(generate_material(spec, SystemRandom())) == size


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (KeySpec.RSA_2048, 2048),
        (KeySpec.RSA_3072, 3072),
        (KeySpec.EC_P256, "secp256r1"),
        (KeySpec.EC_P256K, "secp256k1"),
    ],
    ids=["RSA_2048", "RSA_3072", "EC_P256", "EC_P256K"],
)
def test_asymmetric_material_is_a_pkcs8_der_key_of_the_spec(
    materials: dict[KeySpec, bytes], spec: KeySpec, expected: int | str
) -> None:
    private = serialization.load_der_private_key(materials[spec], password=None)
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == expected
        assert private.private_numbers().public_numbers.e == 65537
    else:
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        assert private.curve.name == expected


@pytest.mark.parametrize("spec", [KeySpec.EC_P256, KeySpec.EC_P256K], ids=["EC_P256", "EC_P256K"])
def test_ec_material_comes_from_the_random_source(spec: KeySpec) -> None:
    assert generate_material(spec, SeededRandom(b"x")) == generate_material(spec, SeededRandom(b"x"))
    assert generate_material(spec, SeededRandom(b"x")) != generate_material(spec, SeededRandom(b"y"))


def test_system_random_returns_the_requested_number_of_fresh_bytes() -> None:
    rng = SystemRandom()
    assert len(rng.bytes(48)) == 48
    assert rng.bytes(32) != rng.bytes(32)


# Symmetric keys


@pytest.mark.parametrize("size", [16, 32], ids=["AES_128", "AES_256"])
@pytest.mark.parametrize(
    "plaintext", [b"", b"x", bytes(range(256)) * 5], ids=["empty", "one-byte", "1280-bytes"]
)
def test_symmetric_key_round_trips(size: int, plaintext: bytes) -> None:
    key = SymmetricKey(SeededRandom().bytes(size))
    sealed = key.seal(plaintext, b"aad", NONCE)
    assert len(sealed) == len(plaintext) + 16
    assert key.open(sealed, b"aad", NONCE) == plaintext


def test_symmetric_key_is_reusable_and_nonce_dependent() -> None:
    key = SymmetricKey(bytes(32))
    first = key.seal(b"data", b"", NONCE)
    assert key.seal(b"data", b"", NONCE) == first
    assert key.seal(b"data", b"", bytes(12)) != first


@pytest.mark.parametrize(
    ("aad", "nonce", "key"),
    [(b"other", NONCE, bytes(32)), (b"aad", bytes(12), bytes(32)), (b"aad", NONCE, bytes(31) + b"\x01")],
    ids=["wrong-aad", "wrong-nonce", "wrong-key"],
)
def test_symmetric_open_fails_with_anything_different(aad: bytes, nonce: bytes, key: bytes) -> None:
    sealed = SymmetricKey(bytes(32)).seal(b"secret", b"aad", NONCE)
    with pytest.raises(InvalidCiphertext) as caught:
        SymmetricKey(key).open(sealed, aad, nonce)
    assert caught.value.code == "InvalidCiphertext"


@pytest.mark.parametrize("position", range(0, 22, 3), ids=lambda p: f"byte-{p}")
def test_symmetric_open_fails_on_any_flipped_byte(position: int) -> None:
    key = SymmetricKey(bytes(32))
    sealed = bytearray(key.seal(b"secret", b"aad", NONCE))
    sealed[position] ^= 0x01
    with pytest.raises(InvalidCiphertext):
        key.open(bytes(sealed), b"aad", NONCE)


@pytest.mark.parametrize("sealed", [b"", b"short"], ids=["empty", "shorter-than-tag"])
def test_symmetric_open_rejects_truncated_input(sealed: bytes) -> None:
    with pytest.raises(InvalidCiphertext):
        SymmetricKey(bytes(32)).open(sealed, b"", NONCE)


def test_symmetric_key_rejects_bad_sizes_and_nonces() -> None:
    with pytest.raises(InvalidArgument):
        SymmetricKey(bytes(24))
    with pytest.raises(InvalidArgument):
        SymmetricKey(bytes(32)).seal(b"", b"", bytes(16))
    with pytest.raises(InvalidCiphertext):
        SymmetricKey(bytes(32)).open(bytes(16), b"", bytes(8))


def test_symmetric_key_repr_hides_the_material() -> None:
    material = bytes(range(32))
    text = repr(SymmetricKey(material))
    assert text == "SymmetricKey(bits=256)"
    assert material.hex() not in text


# Asymmetric keys: construction


def test_public_key_pem_is_the_subject_public_key_info_of_the_material(
    materials: dict[KeySpec, bytes],
) -> None:
    for spec in ASYMMETRIC:
        usage = SV if spec.startswith("EC") else ED
        pem = AsymmetricKey(spec, materials[spec], usage).public_key_pem()
        assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
        private = serialization.load_der_private_key(materials[spec], password=None)
        expected = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert pem.encode() == expected


@pytest.mark.parametrize(
    ("spec", "usage"),
    [(KeySpec.EC_P256, ED), (KeySpec.EC_P256K, ED), (KeySpec.Aliyun_AES_256, ED)],
    ids=["EC_P256-encrypt", "EC_P256K-encrypt", "AES-asymmetric"],
)
def test_asymmetric_key_rejects_a_usage_the_spec_does_not_allow(
    materials: dict[KeySpec, bytes], spec: KeySpec, usage: KeyUsage
) -> None:
    with pytest.raises(InvalidArgument, match="KeyUsage"):
        AsymmetricKey(spec, materials[KeySpec.EC_P256], usage)


@pytest.mark.parametrize(
    ("spec", "material_of"),
    [
        (KeySpec.RSA_3072, KeySpec.RSA_2048),
        (KeySpec.RSA_2048, KeySpec.EC_P256),
        (KeySpec.EC_P256, KeySpec.EC_P256K),
        (KeySpec.EC_P256K, KeySpec.RSA_2048),
    ],
    ids=["rsa-size", "rsa-vs-ec", "ec-curve", "ec-vs-rsa"],
)
def test_asymmetric_key_rejects_material_of_another_spec(
    materials: dict[KeySpec, bytes], spec: KeySpec, material_of: KeySpec
) -> None:
    with pytest.raises(InvalidArgument, match=f"does not match key spec {spec}"):
        AsymmetricKey(spec, materials[material_of], SV)


def test_asymmetric_key_rejects_garbage_material() -> None:
    with pytest.raises(InvalidArgument, match="not a PKCS8 DER private key"):
        AsymmetricKey(KeySpec.RSA_2048, b"\x30\x03garbage", SV)


def test_asymmetric_key_repr_names_spec_and_usage_only(materials: dict[KeySpec, bytes]) -> None:
    key = AsymmetricKey(KeySpec.EC_P256, materials[KeySpec.EC_P256], SV)
    assert repr(key) == "AsymmetricKey(spec='EC_P256', usage='SIGN/VERIFY')"


# Asymmetric keys: encryption


@pytest.mark.parametrize(("spec", "algorithm"), ENCRYPTION, ids=pair_ids(ENCRYPTION))
def test_asymmetric_encryption_round_trips(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], ED)
    ciphertext = key.encrypt(algorithm, b"hello")
    assert len(ciphertext) * 8 == int(spec.removeprefix("RSA_"))
    assert key.decrypt(algorithm, ciphertext) == b"hello"


@pytest.mark.parametrize(("spec", "algorithm"), ENCRYPTION, ids=pair_ids(ENCRYPTION))
def test_asymmetric_ciphertext_from_the_public_key_decrypts(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], ED)
    public = serialization.load_pem_public_key(key.public_key_pem().encode())
    assert isinstance(public, rsa.RSAPublicKey)
    hash_ = hashes.SHA256() if algorithm is Algorithm.RSAES_OAEP_SHA_256 else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(hash_), algorithm=hash_, label=None)
    assert key.decrypt(algorithm, public.encrypt(b"outside", oaep)) == b"outside"


@pytest.mark.parametrize(
    ("spec", "algorithm", "limit"),
    [
        (KeySpec.RSA_2048, Algorithm.RSAES_OAEP_SHA_256, 190),
        (KeySpec.RSA_2048, Algorithm.RSAES_OAEP_SHA_1, 214),
        (KeySpec.RSA_3072, Algorithm.RSAES_OAEP_SHA_256, 318),
        (KeySpec.RSA_3072, Algorithm.RSAES_OAEP_SHA_1, 342),
    ],
    ids=["2048-sha256", "2048-sha1", "3072-sha256", "3072-sha1"],
)
def test_asymmetric_encryption_enforces_the_documented_plaintext_limit(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm, limit: int
) -> None:
    key = AsymmetricKey(spec, materials[spec], ED)
    assert key.decrypt(algorithm, key.encrypt(algorithm, bytes(limit))) == bytes(limit)
    with pytest.raises(InvalidArgument, match=f"Plaintext is {limit + 1} bytes"):
        key.encrypt(algorithm, bytes(limit + 1))


def test_asymmetric_decrypt_fails_with_the_other_oaep_hash(materials: dict[KeySpec, bytes]) -> None:
    key = AsymmetricKey(KeySpec.RSA_2048, materials[KeySpec.RSA_2048], ED)
    ciphertext = key.encrypt(Algorithm.RSAES_OAEP_SHA_256, b"hello")
    with pytest.raises(InvalidCiphertext):
        key.decrypt(Algorithm.RSAES_OAEP_SHA_1, ciphertext)


@pytest.mark.parametrize(
    "ciphertext",
    [b"", b"garbage", bytes(256), b"\xff" * 256, bytes(512)],
    ids=["empty", "short", "zeros", "ff", "long"],
)
def test_asymmetric_decrypt_of_garbage_is_invalid_ciphertext(
    materials: dict[KeySpec, bytes], ciphertext: bytes
) -> None:
    key = AsymmetricKey(KeySpec.RSA_2048, materials[KeySpec.RSA_2048], ED)
    with pytest.raises(InvalidCiphertext):
        key.decrypt(Algorithm.RSAES_OAEP_SHA_256, ciphertext)


# Asymmetric keys: signatures


def verify_outside(pem: str, algorithm: Algorithm, digest: bytes, signature: bytes) -> None:
    public = serialization.load_pem_public_key(pem.encode())
    prehashed = utils.Prehashed(hashes.SHA256())
    if algorithm is Algorithm.ECDSA_SHA_256:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, digest, ec.ECDSA(prehashed))
        return
    assert isinstance(public, rsa.RSAPublicKey)
    scheme: padding.AsymmetricPadding = padding.PKCS1v15()
    if algorithm is Algorithm.RSA_PSS_SHA_256:
        scheme = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    public.verify(signature, digest, scheme, prehashed)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING, ids=pair_ids(SIGNING))
def test_signatures_verify_here_and_with_the_public_key(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], SV)
    signature = key.sign(algorithm, DIGEST)
    assert key.verify(algorithm, DIGEST, signature) is True
    verify_outside(key.public_key_pem(), algorithm, DIGEST, signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING, ids=pair_ids(SIGNING))
def test_a_signature_over_another_digest_does_not_verify(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], SV)
    signature = key.sign(algorithm, OTHER_DIGEST)
    assert key.verify(algorithm, DIGEST, signature) is False
    with pytest.raises(InvalidSignature):
        verify_outside(key.public_key_pem(), algorithm, DIGEST, signature)


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING, ids=pair_ids(SIGNING))
@pytest.mark.parametrize(
    "signature",
    [b"", b"\x30\x06\x02\x01\x01\x02\x01\x01", b"\xff" * 600],
    ids=["empty", "tiny-der", "oversized"],
)
def test_verify_returns_false_for_malformed_signatures(
    materials: dict[KeySpec, bytes], spec: KeySpec, algorithm: Algorithm, signature: bytes
) -> None:
    key = AsymmetricKey(spec, materials[spec], SV)
    assert key.verify(algorithm, DIGEST, signature) is False


def test_rsa_pss_and_pkcs1_signatures_are_not_interchangeable(materials: dict[KeySpec, bytes]) -> None:
    key = AsymmetricKey(KeySpec.RSA_2048, materials[KeySpec.RSA_2048], SV)
    pss = key.sign(Algorithm.RSA_PSS_SHA_256, DIGEST)
    pkcs1 = key.sign(Algorithm.RSA_PKCS1_SHA_256, DIGEST)
    assert key.verify(Algorithm.RSA_PKCS1_SHA_256, DIGEST, pss) is False
    assert key.verify(Algorithm.RSA_PSS_SHA_256, DIGEST, pkcs1) is False
    assert key.sign(Algorithm.RSA_PKCS1_SHA_256, DIGEST) == pkcs1  # PKCS#1 v1.5 is deterministic


@pytest.mark.parametrize("size", [0, 20, 31, 33, 64], ids=lambda n: f"{n}-bytes")
def test_sign_and_verify_reject_a_digest_that_is_not_sha256_sized(
    materials: dict[KeySpec, bytes], size: int
) -> None:
    key = AsymmetricKey(KeySpec.EC_P256, materials[KeySpec.EC_P256], SV)
    with pytest.raises(InvalidArgument, match=r"^Digest must be a 32-byte SHA-256 digest"):
        key.sign(Algorithm.ECDSA_SHA_256, bytes(size))
    with pytest.raises(InvalidArgument, match=r"^Digest"):
        key.verify(Algorithm.ECDSA_SHA_256, bytes(size), b"")


# Asymmetric keys: algorithm and usage checks


WRONG_FOR_SPEC = [
    (KeySpec.EC_P256, SV, "sign", Algorithm.RSA_PSS_SHA_256),
    (KeySpec.EC_P256, SV, "encrypt", Algorithm.RSAES_OAEP_SHA_256),
    (KeySpec.EC_P256K, SV, "decrypt", Algorithm.RSAES_OAEP_SHA_1),
    (KeySpec.RSA_2048, SV, "sign", Algorithm.ECDSA_SHA_256),
    (KeySpec.RSA_3072, ED, "encrypt", Algorithm.ECDSA_SHA_256),
]


def call(key: AsymmetricKey, operation: str, algorithm: Algorithm) -> object:
    if operation == "encrypt":
        return key.encrypt(algorithm, b"x")
    if operation == "decrypt":
        return key.decrypt(algorithm, bytes(256))
    if operation == "sign":
        return key.sign(algorithm, DIGEST)
    return key.verify(algorithm, DIGEST, b"")


@pytest.mark.parametrize(
    ("spec", "usage", "operation", "algorithm"),
    WRONG_FOR_SPEC,
    ids=[f"{s.value}-{op}-{a.value}" for s, _, op, a in WRONG_FOR_SPEC],
)
def test_an_algorithm_of_another_key_type_is_invalid_for_the_spec(
    materials: dict[KeySpec, bytes], spec: KeySpec, usage: KeyUsage, operation: str, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], usage)
    with pytest.raises(InvalidArgument) as caught:
        call(key, operation, algorithm)
    assert caught.value.message == f"Algorithm {algorithm} is not valid for {spec} keys"


USAGE_MISMATCH = [
    (KeySpec.RSA_2048, SV, "encrypt", Algorithm.RSAES_OAEP_SHA_256),
    (KeySpec.RSA_2048, SV, "decrypt", Algorithm.RSAES_OAEP_SHA_1),
    (KeySpec.RSA_3072, ED, "sign", Algorithm.RSA_PSS_SHA_256),
    (KeySpec.RSA_3072, ED, "verify", Algorithm.RSA_PKCS1_SHA_256),
]


@pytest.mark.parametrize(
    ("spec", "usage", "operation", "algorithm"),
    USAGE_MISMATCH,
    ids=[f"{s.value}-{u.name}-{op}" for s, u, op, _ in USAGE_MISMATCH],
)
def test_an_operation_the_key_usage_does_not_allow_is_unsupported(
    materials: dict[KeySpec, bytes], spec: KeySpec, usage: KeyUsage, operation: str, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(spec, materials[spec], usage)
    with pytest.raises(KeyUsageMismatch) as caught:
        call(key, operation, algorithm)
    assert isinstance(caught.value, FailedPrecondition)
    assert caught.value.code == "UnsupportedOperation"
    assert f"usage {usage}" in caught.value.message


@pytest.mark.parametrize(
    ("usage", "operation", "algorithm"),
    [(ED, "encrypt", Algorithm.RSA_PSS_SHA_256), (SV, "sign", Algorithm.RSAES_OAEP_SHA_256)],
    ids=["encrypt-with-signing-algorithm", "sign-with-encryption-algorithm"],
)
def test_an_algorithm_of_the_other_usage_is_invalid_for_the_operation(
    materials: dict[KeySpec, bytes], usage: KeyUsage, operation: str, algorithm: Algorithm
) -> None:
    key = AsymmetricKey(KeySpec.RSA_2048, materials[KeySpec.RSA_2048], usage)
    with pytest.raises(InvalidArgument, match=f"Algorithm {algorithm} cannot be used to {operation}"):
        call(key, operation, algorithm)
