"""The KMS instances' log stores: where a data-plane record lands, how full each store is against
its log quota, and refusing data-plane calls on a full store when the deployment says so.

A store's volume is a running total (``audit_log_usage``) that the indexer adds to in the
transaction that stores the records and retention subtracts from in the one that deletes them.
A store takes records while it is below its quota, so it passes the quota by at most one record;
from then on it is full: with ``stop-logging`` (the default) its data-plane records go to the
account's trail instead (the call is still audited, kept 90 days, and does not count against the
quota); with ``reject-requests`` data-plane calls on its keys and secrets are refused before they
run. The 70 %, 90 % and 100 % crossings raise Instance:Quota:Log:<pct>% through the instance
service, once per crossing and re-armed when retention frees space.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vigil.audit import store
from vigil.audit.calls import DATA_PLANE
from vigil.audit.store import RecordRow
from vigil.errors import QuotaExceeded, VigilError
from vigil.instances.model import Instance
from vigil.instances.quotas import Quota
from vigil.instances.service import InstanceService
from vigil.storage.engine import Tx

REJECT = "reject-requests"

InstanceOfCall = Callable[[str, Mapping[str, Any]], str]
"""(account id, a call's parameters) → the KMS instance of the key or secret it names, or ""."""


class LogStoreFull(QuotaExceeded):
    """A data-plane call refused because its instance's log store is full (reject-requests)."""

    code = "Rejected.LogStoreFull"


class LogStores:
    def __init__(self, instances: InstanceService, dialect: str, instance_of_call: InstanceOfCall) -> None:
        self._instances = instances
        self._dialect = dialect
        self._instance_of_call = instance_of_call

    @property
    def rejecting(self) -> bool:
        return self._instances.logs.when_full == REJECT

    # -- indexing --------------------------------------------------------------------------

    def place(self, tx: Tx, rows: Sequence[RecordRow]) -> list[RecordRow]:
        """The rows as they are to be stored: a data-plane record whose store is full goes to the
        account's trail instead. Adds the rest to their stores' totals and raises the crossings, in
        the indexer's transaction."""
        usage: dict[str, int] = {}
        limits: dict[str, int | None] = {}
        placed: list[RecordRow] = []
        for row in rows:
            instance_id = store.row_instance(row)
            if not instance_id:
                placed.append(row)
                continue
            if instance_id not in usage:
                usage[instance_id] = store.claim_log_usage(tx, instance_id, self._dialect)
                limits[instance_id] = self._limit(instance_id)
            limit = limits[instance_id]
            if limit is None or usage[instance_id] >= limit:
                placed.append(store.to_trail(row))
            else:
                usage[instance_id] += store.row_size(row)
                placed.append(row)
        for instance_id, total in usage.items():
            store.set_log_usage(tx, instance_id, total)
            self._crossings(instance_id, total)
        return placed

    def recheck(self, tx: Tx) -> None:
        """Re-arm (or fire) every store's thresholds after retention freed space or a quota changed."""
        for instance_id, total in store.log_usages(tx).items():
            self._crossings(instance_id, total)

    def _limit(self, instance_id: str) -> int | None:
        found = self._find(instance_id)
        return None if found is None else self._instances.limit(found, Quota.LOG)

    def _crossings(self, instance_id: str, total: int) -> None:
        found = self._find(instance_id)
        if found is not None:
            self._instances.record_usage(found, Quota.LOG, total)

    def _find(self, instance_id: str) -> Instance | None:
        try:
            return self._instances.find(instance_id)
        except VigilError:
            return None

    # -- calls -----------------------------------------------------------------------------

    def refuse_when_full(self, account_id: str, action: str, params: Mapping[str, Any]) -> None:
        """With reject-requests, refuse a data-plane call on a full store's key or secret before it
        runs. Raises LogStoreFull. Costs nothing while no store is full."""
        if not self.rejecting or action not in DATA_PLANE:
            return
        full = self._instances.full_log_stores()
        if not full:
            return
        instance_id = self._instance_of_call(account_id, params)
        if instance_id in full:
            raise LogStoreFull(
                f"the log store of KMS instance {instance_id} is full, and this deployment refuses "
                "data-plane calls until retention frees space or the log quota is raised "
                "(VIGIL_AUDIT_LOG_FULL=reject-requests)"
            )
