"""The instance service: the default instance at first start, lookups by id, quota usage and its
70 / 90 % events (and the log store's 100 %)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vigil import ids
from vigil.caching import TtlCache
from vigil.clock import Clock
from vigil.instances import store
from vigil.instances.model import GIB, Instance, InstanceNotFound, LogQuotaOptions, Quotas
from vigil.instances.quotas import FULL, Quota, check_room, crossings, thresholds
from vigil.storage.engine import Database

if TYPE_CHECKING:
    from vigil.events.service import EventCenter

_QUOTA_EVENT = {
    Quota.KEYS: "Key",
    Quota.SECRETS: "Secret",
    Quota.ACCESS_MANAGEMENT: "AccessManagement",
    Quota.LOG: "Log",
}


class InstanceService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        cache_ttl_s: float = 1.0,
        logs: LogQuotaOptions | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._cache: TtlCache[str, Instance] = TtlCache(cache_ttl_s)
        self._full: TtlCache[str, frozenset[str]] = TtlCache(cache_ttl_s)
        self.logs = logs or LogQuotaOptions()
        self.events: EventCenter | None = None

    def limit(self, instance: Instance, quota: Quota) -> int:
        q = instance.quotas
        if quota is Quota.LOG:
            return self.logs.limit(q)
        return {Quota.KEYS: q.keys, Quota.SECRETS: q.secrets, Quota.ACCESS_MANAGEMENT: q.access_management}[
            quota
        ]

    def check_room(self, instance: Instance, quota: Quota, usage: int) -> None:
        """Raises QuotaExceeded if one more would pass the instance's limit."""
        check_room(quota, usage, self.limit(instance, quota))

    def check_policy_room(self, account_id: str, usage: int) -> None:
        """Access-management policies count against the account's default instance."""
        self.check_room(self.default(account_id), Quota.ACCESS_MANAGEMENT, usage)

    def record_policy_usage(self, account_id: str, usage: int) -> None:
        self.record_usage(self.default(account_id), Quota.ACCESS_MANAGEMENT, usage)

    def record_usage(self, instance: Instance, quota: Quota, usage: int) -> None:
        """Fire the 70 % / 90 % events crossed by this usage (once per crossing) and re-arm below.

        Runs in the caller's transaction, so the events commit with the change that caused them.
        """
        limit = self.limit(instance, quota)
        with self._db.transaction() as tx:
            armed = store.arms(tx, instance.instance_id, quota.value)
            fired, state = crossings(usage, limit, armed, thresholds(quota))
            store.set_arms(tx, instance.instance_id, quota.value, state, self._clock.now_ms())
            for crossing in fired:
                self._raise_quota_event(instance, quota, crossing.threshold, usage, limit)
        if quota is Quota.LOG and armed.get(FULL, True) != state[FULL]:
            self._full.invalidate()

    def _raise_quota_event(
        self, instance: Instance, quota: Quota, threshold: int, usage: int, limit: int
    ) -> None:
        if self.events is None:
            return
        content = {"quota": str(limit), "kmsInstanceId": instance.instance_id, "used": str(usage)}
        if quota is Quota.LOG:  # the seed gives the log store's figures in GB
            content = {**content, "quota": gigabytes(limit), "used": gigabytes(usage)}
            if threshold == FULL:
                content["action"] = self.logs.when_full
        self.events.raise_event(
            instance.account_id,
            f"Instance:Quota:{_QUOTA_EVENT[quota]}:{threshold}%",
            resource_id=self.events.arn(instance.account_id, "instance", instance.instance_id),
            instance_name=instance.instance_id,
            content=content,
        )

    def full_log_stores(self) -> frozenset[str]:
        """The instances whose log store is full (seen by every node within the cache TTL)."""
        return self._full.get("", self._load_full)

    def _load_full(self, _: str) -> frozenset[str]:
        with self._db.transaction(write=False) as tx:
            return frozenset(store.disarmed(tx, Quota.LOG.value, FULL))

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

    def find(self, instance_id: str) -> Instance:
        """An instance by id, whatever its account. Raises InstanceNotFound."""
        return self._cache.get(instance_id, self._load)

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


def gigabytes(size: int) -> str:
    """A byte count in GB as the log quota events carry it: ``10``, ``7.5``, ``0.000018626``."""
    return f"{size / GIB:.9f}".rstrip("0").rstrip(".") or "0"
