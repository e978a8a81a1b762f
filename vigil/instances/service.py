"""The instance service: the default instance at first start, lookups by id."""

from __future__ import annotations

from vigil import ids
from vigil.caching import TtlCache
from vigil.clock import Clock
from vigil.instances import store
from vigil.instances.model import Instance, InstanceNotFound, Quotas
from vigil.storage.engine import Database


class InstanceService:
    def __init__(self, db: Database, clock: Clock, *, cache_ttl_s: float = 1.0) -> None:
        self._db = db
        self._clock = clock
        self._cache: TtlCache[str, Instance] = TtlCache(cache_ttl_s)

    def ensure_default(self, account_id: str) -> Instance:
        """The account's default instance, created on first start."""
        with self._db.transaction() as tx:
            found = store.default_of(tx, account_id)
            if found is not None:
                return found
            inst = Instance(ids.instance_id(), account_id, "default", True, Quotas(), self._clock.now_ms())
            store.insert(tx, inst)
            return inst

    def default(self, account_id: str) -> Instance:
        return self._cache.get(f"default:{account_id}", lambda _: self.ensure_default(account_id))

    def get(self, account_id: str, instance_id: str) -> Instance:
        """Raises InstanceNotFound for an unknown id or another account's instance."""
        inst = self._cache.get(instance_id, self._load)
        if inst.account_id != account_id:
            raise InstanceNotFound(f"KMS instance {instance_id!r} does not exist")
        return inst

    def _load(self, instance_id: str) -> Instance:
        with self._db.transaction(write=False) as tx:
            inst = store.get(tx, instance_id)
        if inst is None:
            raise InstanceNotFound(f"KMS instance {instance_id!r} does not exist")
        return inst

    def list(self, account_id: str) -> list[Instance]:
        with self._db.transaction(write=False) as tx:
            return store.list_all(tx, account_id)
