"""The cryptographic hot path: Encrypt, Decrypt, data keys, ReEncrypt and asymmetric operations.

Served from the key ring in memory; nothing here writes to the database.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from vigil.errors import InvalidArgument
from vigil.keys import ciphertext
from vigil.keys.ciphertext import Envelope
from vigil.keys.crypto import AsymmetricKey, InvalidCiphertext, Random, SymmetricKey
from vigil.keys.model import Key, UnsupportedOperation, require_state_for_use, require_usage
from vigil.keys.service import KeyService
from vigil.keys.specs import Algorithm, KeyUsage, is_symmetric, parse_algorithm

MAX_PLAINTEXT = 6144
NONCE_BYTES = 12

Context = Mapping[str, object] | None
P = ParamSpec("P")
R = TypeVar("R")

# the API action each asymmetric operation serves, and the key usage that action needs
_ACTIONS: dict[Callable[..., object], tuple[str, KeyUsage]] = {
    AsymmetricKey.encrypt: ("AsymmetricEncrypt", KeyUsage.ENCRYPT_DECRYPT),
    AsymmetricKey.decrypt: ("AsymmetricDecrypt", KeyUsage.ENCRYPT_DECRYPT),
    AsymmetricKey.sign: ("AsymmetricSign", KeyUsage.SIGN_VERIFY),
    AsymmetricKey.verify: ("AsymmetricVerify", KeyUsage.SIGN_VERIFY),
}


@dataclass(frozen=True, slots=True)
class Sealed:
    blob: bytes
    key_id: str
    version_id: str


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: bytes
    key_id: str
    version_id: str

    def __repr__(self) -> str:
        return f"Opened(key_id={self.key_id!r}, version_id={self.version_id!r})"


class DataPlane:
    def __init__(self, keys: KeyService, rng: Random) -> None:
        self._keys = keys
        self._ring = keys.keyring
        self._rng = rng

    def usable_key(self, account_id: str, key_ref: str, usage: KeyUsage, action: str) -> Key:
        """The key behind a reference, checked for state and usage."""
        key = self._keys.resolve(account_id, key_ref)
        require_state_for_use(key)
        require_usage(key, usage, action)
        return key

    def encrypt(self, account_id: str, key_ref: str, plaintext: bytes, context: Context) -> Sealed:
        if not plaintext or len(plaintext) > MAX_PLAINTEXT:
            raise InvalidArgument(f"Plaintext must be 1-{MAX_PLAINTEXT} bytes, got {len(plaintext)}")
        key = self.usable_key(account_id, key_ref, KeyUsage.ENCRYPT_DECRYPT, "Encrypt")
        return self._seal(key, plaintext, context)

    def _seal(self, key: Key, plaintext: bytes, context: Context) -> Sealed:
        if not is_symmetric(key.spec):
            raise UnsupportedOperation(f"key {key.key_id} is {key.spec}; use AsymmetricEncrypt with it")
        version_id = key.primary_version_id
        cipher = self._symmetric(key, version_id)
        nonce = self._rng.bytes(NONCE_BYTES)
        env = Envelope(key.key_id, version_id, nonce, b"")
        aad = ciphertext.header(env) + ciphertext.context_aad(context)
        sealed = cipher.seal(plaintext, aad, nonce)
        blob = ciphertext.encode(Envelope(key.key_id, version_id, nonce, sealed))
        return Sealed(blob, key.key_id, version_id)

    def key_of_blob(self, blob: bytes) -> str:
        """The key id a ciphertext names (for authorisation before decrypting)."""
        return ciphertext.decode(blob).key_id

    def decrypt(self, account_id: str, blob: bytes, context: Context) -> Opened:
        """Raises InvalidCiphertext when the blob or the context does not match."""
        env = ciphertext.decode(blob)
        key = self.usable_key(account_id, env.key_id, KeyUsage.ENCRYPT_DECRYPT, "Decrypt")
        cipher = self._symmetric(key, env.version_id)
        aad = ciphertext.header(env) + ciphertext.context_aad(context)
        plaintext = cipher.open(env.sealed, aad, env.nonce)
        return Opened(plaintext, key.key_id, env.version_id)

    def generate_data_key(
        self, account_id: str, key_ref: str, number_of_bytes: int, context: Context
    ) -> tuple[str, Sealed]:
        """A fresh data key as base64 text, and that text sealed under the key."""
        if not 1 <= number_of_bytes <= 1024:
            raise InvalidArgument(f"NumberOfBytes must be 1-1024, got {number_of_bytes}")
        key = self.usable_key(account_id, key_ref, KeyUsage.ENCRYPT_DECRYPT, "GenerateDataKey")
        data_key = base64.b64encode(self._rng.bytes(number_of_bytes)).decode()
        return data_key, self._seal(key, data_key.encode(), context)

    def re_encrypt(
        self,
        account_id: str,
        blob: bytes,
        source_context: Context,
        destination_ref: str,
        destination_context: Context,
    ) -> tuple[Opened, Sealed]:
        opened = self.decrypt(account_id, blob, source_context)
        destination = self.usable_key(account_id, destination_ref, KeyUsage.ENCRYPT_DECRYPT, "ReEncrypt")
        return opened, self._seal(destination, opened.plaintext, destination_context)

    def _symmetric(self, key: Key, version_id: str) -> SymmetricKey:
        cipher = self._ring.material(key, version_id)
        if not isinstance(cipher, SymmetricKey):
            raise InvalidCiphertext(f"key {key.key_id} is not a symmetric key")
        return cipher

    # -- asymmetric ----------------------------------------------------------------------

    def asymmetric(
        self, account_id: str, key_ref: str, version_id: str | None, usage: KeyUsage, action: str
    ) -> tuple[Key, str, AsymmetricKey]:
        """The key, its version (the primary unless one is named) and that version's key pair."""
        key = self.usable_key(account_id, key_ref, usage, action)
        version, material = self._key_pair(key, version_id, action)
        return key, version, material

    def asymmetric_encrypt(
        self, account_id: str, key_ref: str, version_id: str | None, algorithm: str, plaintext: bytes
    ) -> tuple[Key, str, bytes]:
        """Encrypts PLAINTEXT with the public key of an ENCRYPT/DECRYPT key's version."""
        return self._perform(AsymmetricKey.encrypt, account_id, key_ref, version_id, algorithm, plaintext)

    def asymmetric_decrypt(
        self, account_id: str, key_ref: str, version_id: str | None, algorithm: str, blob: bytes
    ) -> tuple[Key, str, bytes]:
        """Decrypts BLOB with the private key of an ENCRYPT/DECRYPT key's version."""
        return self._perform(AsymmetricKey.decrypt, account_id, key_ref, version_id, algorithm, blob)

    def sign(
        self, account_id: str, key_ref: str, version_id: str | None, algorithm: str, digest: bytes
    ) -> tuple[Key, str, bytes]:
        """Signs a SHA-256 DIGEST with the private key of a SIGN/VERIFY key's version."""
        return self._perform(AsymmetricKey.sign, account_id, key_ref, version_id, algorithm, digest)

    def verify(
        self,
        account_id: str,
        key_ref: str,
        version_id: str | None,
        algorithm: str,
        digest: bytes,
        signature: bytes,
    ) -> tuple[Key, str, bool]:
        """Whether SIGNATURE over DIGEST is valid for a SIGN/VERIFY key's version."""
        return self._perform(
            AsymmetricKey.verify, account_id, key_ref, version_id, algorithm, digest, signature
        )

    def _perform(
        self,
        operation: Callable[Concatenate[AsymmetricKey, Algorithm, P], R],
        account_id: str,
        key_ref: str,
        version_id: str | None,
        algorithm: str,
        *data: P.args,
        **options: P.kwargs,
    ) -> tuple[Key, str, R]:
        """Runs OPERATION with the key pair of a key's version, once the key is fit for its action."""
        action, usage = _ACTIONS[operation]
        key, version, material = self.asymmetric(account_id, key_ref, version_id, usage, action)
        return key, version, operation(material, parse_algorithm(algorithm), *data, **options)

    def public_key(self, account_id: str, key_ref: str, version_id: str | None) -> tuple[Key, str, str]:
        """The PEM public key of an asymmetric key's version, whatever the key's usage."""
        key = self._keys.resolve(account_id, key_ref)
        require_state_for_use(key)
        version, material = self._key_pair(key, version_id, "GetPublicKey")
        return key, version, material.public_key_pem()

    def _key_pair(self, key: Key, version_id: str | None, action: str) -> tuple[str, AsymmetricKey]:
        version = version_id or key.primary_version_id
        material = self._ring.material(key, version)
        if not isinstance(material, AsymmetricKey):
            raise UnsupportedOperation(f"{action} needs an asymmetric key; {key.key_id} is {key.spec}")
        return version, material
