"""Envelope encryption of secret values: a fresh data key per version, sealed under the secret's KMS key.

The value is AES-256-GCM under the data key with the account, secret and version as AAD; the
data key itself is sealed by the key service, so disabling or deleting that key makes the
secret unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vigil.keys.crypto import InvalidCiphertext, Random
from vigil.keys.data_plane import DataPlane

_NONCE = 12


@dataclass(frozen=True, slots=True)
class Sealed:
    key_id: str
    sealed_data_key: bytes
    sealed_value: bytes


def _context(name: str, version_id: str) -> dict[str, object]:
    return {"SecretName": name, "VersionId": version_id}


def _aad(account_id: str, name: str, version_id: str) -> bytes:
    return f"vigil:secret:{account_id}:{name}:{version_id}".encode()


class SecretSealer:
    def __init__(self, data_plane: DataPlane, rng: Random) -> None:
        self._data_plane = data_plane
        self._rng = rng

    def seal(self, account_id: str, key_ref: str, name: str, version_id: str, data: bytes) -> Sealed:
        """Raises the key's state errors (Rejected.Disabled, …) if the key cannot encrypt."""
        data_key = self._rng.bytes(32)
        sealed_key = self._data_plane.encrypt(account_id, key_ref, data_key, _context(name, version_id))
        nonce = self._rng.bytes(_NONCE)
        body = AESGCM(data_key).encrypt(nonce, data, _aad(account_id, name, version_id))
        return Sealed(sealed_key.key_id, sealed_key.blob, nonce + body)

    def open(
        self, account_id: str, name: str, version_id: str, sealed_data_key: bytes, sealed_value: bytes
    ) -> bytes:
        opened = self._data_plane.decrypt(account_id, sealed_data_key, _context(name, version_id))
        try:
            return AESGCM(opened.plaintext).decrypt(
                sealed_value[:_NONCE], sealed_value[_NONCE:], _aad(account_id, name, version_id)
            )
        except Exception:
            raise InvalidCiphertext(f"version {version_id} of secret {name} cannot be decrypted") from None
