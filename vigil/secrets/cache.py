"""The in-memory read path of secrets: metadata and stages for a TTL, decrypted versions until destroyed.

Version values never change once written, so they are cached by the secret's unique id and
the version id; metadata (state, stage labels) is re-read after the TTL so that another
node's change is seen within that bound. Writes on this node forget the secret at once.
"""

from __future__ import annotations

import threading

from vigil.caching import TtlCache
from vigil.secrets import store
from vigil.secrets.envelope import SecretSealer
from vigil.secrets.model import Secret, SecretNotFound, SecretVersion, SecretVersionNotFound
from vigil.storage.engine import Database

Metadata = tuple[Secret, dict[str, str]]


class SecretCache:
    def __init__(self, db: Database, sealer: SecretSealer, *, ttl_s: float, max_values: int = 50_000) -> None:
        self._db = db
        self._sealer = sealer
        self._meta: TtlCache[tuple[str, str], Metadata] = TtlCache(ttl_s)
        self._values: dict[str, dict[str, tuple[SecretVersion, bytes]]] = {}
        self._ids: dict[tuple[str, str], str] = {}
        self._max_values = max_values
        self._lock = threading.Lock()

    def metadata(self, account_id: str, name: str) -> Metadata:
        """The secret and its stage map. Raises SecretNotFound."""
        return self._meta.get((account_id, name), self._load_metadata)

    def secret(self, account_id: str, name: str) -> Secret:
        return self.metadata(account_id, name)[0]

    def _load_metadata(self, key: tuple[str, str]) -> Metadata:
        with self._db.transaction(write=False) as tx:
            secret = store.get_secret(tx, *key)
            if secret is None:
                raise SecretNotFound(f"secret {key[1]!r} does not exist")
            stages = store.get_stages(tx, *key)
        with self._lock:
            self._ids[key] = secret.secret_id
        return secret, stages

    def value(self, secret: Secret, version_id: str) -> tuple[SecretVersion, bytes]:
        """A version and its decrypted value. Raises SecretVersionNotFound."""
        hit = self._values.get(secret.secret_id, {}).get(version_id)
        if hit is not None:
            return hit
        with self._db.transaction(write=False) as tx:
            found = store.get_version(tx, secret.account_id, secret.name, version_id)
        if found is None:
            raise SecretVersionNotFound(f"secret {secret.name!r} has no version {version_id!r}")
        version, sealed_key, sealed_value = found
        data = self._sealer.open(secret.account_id, secret.name, version_id, sealed_key, sealed_value)
        with self._lock:
            if len(self._values) >= self._max_values:
                self._values.clear()
            self._values.setdefault(secret.secret_id, {})[version_id] = (version, data)
        return version, data

    def forget(self, account_id: str, name: str) -> None:
        """Drop the secret's metadata and cached values (its versions may have changed or gone)."""
        self._meta.invalidate((account_id, name))
        with self._lock:
            secret_id = self._ids.pop((account_id, name), None)
            if secret_id is not None:
                self._values.pop(secret_id, None)
