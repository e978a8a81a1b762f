"""The in-memory key ring: key metadata and unwrapped material for the cryptographic hot path.

Material is unwrapped once per version and kept as ready cipher objects. Metadata (state,
primary version) is re-read after the cache TTL so that a change made by another node
sharing PostgreSQL is seen within that bound; changes made on this node are seen at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from vigil.keys import store
from vigil.keys.crypto import AsymmetricKey, SymmetricKey
from vigil.keys.model import Key, KeyNotFound, KeyState, KeyVersionNotFound
from vigil.keys.specs import is_symmetric
from vigil.keys.wrapping import RootKey
from vigil.storage.engine import Database

Material = SymmetricKey | AsymmetricKey


@dataclass(slots=True)
class _Entry:
    key: Key
    loaded_ns: int
    material: dict[str, Material] = field(default_factory=dict)


def material_aad(key_id: str, version_id: str) -> bytes:
    return f"vigil:key-material:{key_id}:{version_id}".encode()


class KeyRing:
    def __init__(self, db: Database, root_key: RootKey, *, ttl_s: float) -> None:
        self._db = db
        self._root_key = root_key
        self._ttl_ns = int(ttl_s * 1e9)
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def key(self, key_id: str) -> Key:
        """Current metadata of a key. Raises KeyNotFound."""
        return self._entry(key_id).key

    def material(self, key: Key, version_id: str) -> Material:
        """The ready cipher object of one version. Raises KeyVersionNotFound."""
        entry = self._entry(key.key_id)
        found = entry.material.get(version_id)
        if found is None:
            found = self._load_material(entry.key, version_id)
            entry.material[version_id] = found
        return found

    def put(self, key: Key) -> None:
        """Record a key this node has just written, keeping any unwrapped material."""
        with self._lock:
            old = self._entries.get(key.key_id)
            material = {} if old is None or key.state is KeyState.DELETED else old.material
            self._entries[key.key_id] = _Entry(key, time.monotonic_ns(), material)

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._entries.pop(key_id, None)

    def _entry(self, key_id: str) -> _Entry:
        entry = self._entries.get(key_id)
        now = time.monotonic_ns()
        if entry is not None and now - entry.loaded_ns < self._ttl_ns:
            return entry
        with self._db.transaction(write=False) as tx:
            key = store.get_key(tx, key_id)
        if key is None:
            self.forget(key_id)
            raise KeyNotFound(f"key {key_id!r} does not exist")
        self.put(key)
        return self._entries[key_id]

    def _load_material(self, key: Key, version_id: str) -> Material:
        with self._db.transaction(write=False) as tx:
            found = store.get_version(tx, key.key_id, version_id)
        if found is None:
            raise KeyVersionNotFound(f"key {key.key_id} has no version {version_id!r}")
        if found[1] is None:
            raise KeyNotFound(f"the material of key {key.key_id} has been destroyed")
        raw = self._root_key.unwrap(found[1], material_aad(key.key_id, version_id))
        if is_symmetric(key.spec):
            return SymmetricKey(raw)
        return AsymmetricKey(key.spec, raw, key.usage)
