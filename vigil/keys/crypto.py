"""Pure cryptography for KMS keys: material generation, AES-GCM, RSA/ECDSA and random passwords.

Nothing here touches storage or the clock; randomness comes from an injected `Random`.
"""

from __future__ import annotations

import builtins
import os
import string
import threading
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vigil.errors import FailedPrecondition, Internal, InvalidArgument
from vigil.keys.specs import Algorithm, KeySpec, KeyUsage, allowed_algorithms, allowed_usages, is_rsa

NONCE_SIZE = 12
TAG_SIZE = 16
DIGEST_SIZE = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
PUNCTUATION = string.punctuation

_AES_SIZES = {KeySpec.Aliyun_AES_256: 32, KeySpec.Aliyun_AES_128: 16}
_RSA_BITS = {KeySpec.RSA_2048: 2048, KeySpec.RSA_3072: 3072}
_CURVES: dict[KeySpec, ec.EllipticCurve] = {
    KeySpec.EC_P256: ec.SECP256R1(),
    KeySpec.EC_P256K: ec.SECP256K1(),
}
_CURVE_ORDERS = {
    KeySpec.EC_P256: 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    KeySpec.EC_P256K: 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141,
}
_MAX_SCALAR_DRAWS = 64
_OAEP_HASHES: dict[Algorithm, hashes.HashAlgorithm] = {
    Algorithm.RSAES_OAEP_SHA_256: hashes.SHA256(),
    Algorithm.RSAES_OAEP_SHA_1: hashes.SHA1(),
}
_OAEP_PADDINGS = {
    algorithm: padding.OAEP(mgf=padding.MGF1(hash_), algorithm=hash_, label=None)
    for algorithm, hash_ in _OAEP_HASHES.items()
}
_PSS_PADDING = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=DIGEST_SIZE)
_PREHASHED_SHA256 = utils.Prehashed(hashes.SHA256())
_ECDSA = ec.ECDSA(_PREHASHED_SHA256)


class InvalidCiphertext(InvalidArgument):
    """A ciphertext that is malformed, was tampered with, or belongs to another key or context."""

    code = "InvalidCiphertext"


class KeyUsageMismatch(FailedPrecondition):
    """The key exists, but its usage does not allow the requested operation."""

    code = "UnsupportedOperation"


class Random(Protocol):
    """A source of cryptographically secure random bytes."""

    def bytes(self, n: int) -> builtins.bytes: ...


class SystemRandom:
    """The operating system's CSPRNG, read in blocks so the hot path makes no system call per request.

    The buffer is dropped in a forked child (``os.register_at_fork``), so two worker processes
    never hand out the same bytes, which would repeat AES-GCM nonces.
    """

    _BLOCK = 64 * 1024

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._buffer, self._offset = b"", 0
        self._lock = threading.Lock()

    def bytes(self, n: int) -> builtins.bytes:
        if n > 1024:
            return os.urandom(n)
        with self._lock:
            end = self._offset + n
            if end > len(self._buffer):
                self._buffer, self._offset, end = os.urandom(self._BLOCK), 0, n
            chunk = self._buffer[self._offset : end]
            self._offset = end
            return chunk


def generate_material(spec: KeySpec, rng: Random) -> bytes:
    """New key material: raw bytes for AES, a PKCS8 DER private key for RSA and EC."""
    if spec in _AES_SIZES:
        return rng.bytes(_AES_SIZES[spec])
    if spec in _RSA_BITS:
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa.generate_private_key(
            public_exponent=65537, key_size=_RSA_BITS[spec]
        )
    else:
        private = ec.derive_private_key(_ec_scalar(spec, rng), _CURVES[spec])
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ec_scalar(spec: KeySpec, rng: Random) -> int:
    # Rejection sampling keeps the scalar uniform in [1, n).
    order = _CURVE_ORDERS[spec]
    for _ in range(_MAX_SCALAR_DRAWS):
        scalar = int.from_bytes(rng.bytes(32), "big")
        if 0 < scalar < order:
            return scalar
    raise Internal("the random source keeps producing out-of-range EC scalars")


class SymmetricKey:
    """An AES-GCM key, set up once and reused for every seal and open."""

    __slots__ = ("_aead", "_bits")

    def __init__(self, material: bytes) -> None:
        if len(material) not in (16, 32):
            raise InvalidArgument(f"AES key material must be 16 or 32 bytes, got {len(material)}")
        self._aead = AESGCM(material)
        self._bits = len(material) * 8

    def __repr__(self) -> str:
        return f"SymmetricKey(bits={self._bits})"

    def seal(self, plaintext: bytes, aad: bytes, nonce: bytes) -> bytes:
        """Ciphertext || 16-byte tag. Raises InvalidArgument for a nonce that is not 12 bytes."""
        if len(nonce) != NONCE_SIZE:
            raise InvalidArgument(f"nonce must be {NONCE_SIZE} bytes")
        return self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes, nonce: bytes) -> bytes:
        """The plaintext of `seal`'s output. Raises InvalidCiphertext if it does not authenticate."""
        if len(nonce) != NONCE_SIZE:
            raise InvalidCiphertext(f"nonce must be {NONCE_SIZE} bytes")
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise InvalidCiphertext(
                "the ciphertext cannot be decrypted: it was altered, or the key or context differs"
            ) from None


class AsymmetricKey:
    """An RSA or EC private key with the usage it was created for."""

    __slots__ = ("_private", "_public", "_public_pem", "spec", "usage")

    def __init__(self, spec: KeySpec, der: bytes, usage: KeyUsage) -> None:
        if usage not in allowed_usages(spec) or not allowed_algorithms(spec, usage):
            raise InvalidArgument(f"KeyUsage {usage} is not valid for {spec} keys")
        self.spec = spec
        self.usage = usage
        self._private = _load_private(spec, der)
        self._public = self._private.public_key()
        self._public_pem = self._public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def __repr__(self) -> str:
        return f"AsymmetricKey(spec={self.spec.value!r}, usage={self.usage.value!r})"

    def public_key_pem(self) -> str:
        """The public key as SubjectPublicKeyInfo PEM."""
        return self._public_pem

    def encrypt(self, algorithm: Algorithm, plaintext: bytes) -> bytes:
        """RSA-OAEP encryption. Raises InvalidArgument or KeyUsageMismatch."""
        private = self._rsa(algorithm, KeyUsage.ENCRYPT_DECRYPT, "encrypt")
        limit = private.key_size // 8 - 2 * _OAEP_HASHES[algorithm].digest_size - 2
        if len(plaintext) > limit:
            raise InvalidArgument(
                f"Plaintext is {len(plaintext)} bytes; {algorithm} with {self.spec} takes at most {limit}"
            )
        return private.public_key().encrypt(plaintext, _OAEP_PADDINGS[algorithm])

    def decrypt(self, algorithm: Algorithm, ciphertext: bytes) -> bytes:
        """RSA-OAEP decryption. Raises InvalidCiphertext, InvalidArgument or KeyUsageMismatch."""
        private = self._rsa(algorithm, KeyUsage.ENCRYPT_DECRYPT, "decrypt")
        try:
            return private.decrypt(ciphertext, _OAEP_PADDINGS[algorithm])
        except ValueError:
            raise InvalidCiphertext(
                f"the ciphertext cannot be decrypted with this key and {algorithm}"
            ) from None

    def sign(self, algorithm: Algorithm, digest: bytes) -> bytes:
        """A signature over a precomputed SHA-256 digest (DER for ECDSA).

        Raises InvalidArgument or KeyUsageMismatch.
        """
        self._check(algorithm, KeyUsage.SIGN_VERIFY, "sign")
        _check_digest(digest)
        if isinstance(self._private, rsa.RSAPrivateKey):
            return self._private.sign(digest, _rsa_signature_padding(algorithm), _PREHASHED_SHA256)
        return self._private.sign(digest, _ECDSA)

    def verify(self, algorithm: Algorithm, digest: bytes, signature: bytes) -> bool:
        """Whether `signature` is valid over `digest`; a bad signature gives False, never an error.

        Raises InvalidArgument or KeyUsageMismatch for a bad request.
        """
        self._check(algorithm, KeyUsage.SIGN_VERIFY, "verify")
        _check_digest(digest)
        try:
            self._verify(algorithm, digest, signature)
        except InvalidSignature:
            return False
        return True

    def _verify(self, algorithm: Algorithm, digest: bytes, signature: bytes) -> None:
        public = self._public
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, digest, _rsa_signature_padding(algorithm), _PREHASHED_SHA256)
        else:
            public.verify(signature, digest, _ECDSA)

    def _rsa(self, algorithm: Algorithm, needed: KeyUsage, operation: str) -> rsa.RSAPrivateKey:
        self._check(algorithm, needed, operation)
        if not isinstance(self._private, rsa.RSAPrivateKey):
            raise InvalidArgument(f"Algorithm {algorithm} is not valid for {self.spec} keys")
        return self._private

    def _check(self, algorithm: Algorithm, needed: KeyUsage, operation: str) -> None:
        if not any(algorithm in allowed_algorithms(self.spec, usage) for usage in KeyUsage):
            raise InvalidArgument(f"Algorithm {algorithm} is not valid for {self.spec} keys")
        if self.usage is not needed:
            raise KeyUsageMismatch(
                f"a key with usage {self.usage} cannot {operation}; it needs usage {needed}"
            )
        if algorithm not in allowed_algorithms(self.spec, needed):
            raise InvalidArgument(f"Algorithm {algorithm} cannot be used to {operation}")


def _load_private(spec: KeySpec, der: bytes) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    try:
        private = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidArgument(f"key material is not a PKCS8 DER private key for {spec}") from None
    if is_rsa(spec):
        if isinstance(private, rsa.RSAPrivateKey) and private.key_size == _RSA_BITS[spec]:
            return private
    elif isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == _CURVES[spec].name:
        return private
    raise InvalidArgument(f"key material does not match key spec {spec}")


def _rsa_signature_padding(algorithm: Algorithm) -> padding.AsymmetricPadding:
    if algorithm is Algorithm.RSA_PSS_SHA_256:
        return _PSS_PADDING
    return padding.PKCS1v15()


def _check_digest(digest: bytes) -> None:
    if len(digest) != DIGEST_SIZE:
        raise InvalidArgument(f"Digest must be a {DIGEST_SIZE}-byte SHA-256 digest, got {len(digest)} bytes")


def random_password(
    length: int,
    *,
    exclude_characters: str = "",
    exclude_lowercase: bool = False,
    exclude_uppercase: bool = False,
    exclude_numbers: bool = False,
    exclude_punctuation: bool = False,
    require_each_included_type: bool = True,
    rng: Random,
) -> str:
    """A password in the GetRandomPassword sense, chosen without bias.

    Raises InvalidArgument naming PasswordLength or ExcludeCharacters.
    """
    if not MIN_PASSWORD_LENGTH <= length <= MAX_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"PasswordLength must be between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH}, got {length}"
        )
    excluded = (exclude_lowercase, exclude_uppercase, exclude_numbers, exclude_punctuation)
    pools = _character_pools(excluded, frozenset(exclude_characters))
    alphabet = "".join(pools)
    draw = _Draw(rng)
    chosen = [pool[draw.below(len(pool))] for pool in pools] if require_each_included_type else []
    chosen += [alphabet[draw.below(len(alphabet))] for _ in range(length - len(chosen))]
    draw.shuffle(chosen)
    return "".join(chosen)


def _character_pools(excluded: tuple[bool, bool, bool, bool], characters: frozenset[str]) -> list[str]:
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, PUNCTUATION)
    pools = [
        "".join(c for c in cls if c not in characters)
        for cls, skip in zip(classes, excluded, strict=True)
        if not skip
    ]
    pools = [pool for pool in pools if pool]
    if not pools:
        raise InvalidArgument("ExcludeCharacters and the Exclude* options leave no characters to choose from")
    return pools


class _Draw:
    """Unbiased small integers from a Random, drawn a block of bytes at a time."""

    __slots__ = ("_buffer", "_rng")

    _BLOCK = 64

    def __init__(self, rng: Random) -> None:
        self._rng = rng
        self._buffer: list[int] = []

    def below(self, n: int) -> int:
        """A uniform integer in [0, n) for 1 <= n <= 256, by rejection sampling."""
        limit = 256 - 256 % n
        while True:
            if not self._buffer:
                self._refill()
            value = self._buffer.pop()
            if value < limit:
                return value % n

    def _refill(self) -> None:
        self._buffer = list(self._rng.bytes(self._BLOCK))
        if not self._buffer:
            raise Internal("the random source returned no bytes")

    def shuffle(self, items: list[str]) -> None:
        """Fisher-Yates, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
