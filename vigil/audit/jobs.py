"""The audit trail's background work: indexing this node's journal as it grows (a thread per node,
since each node writes its own journal) and retention (a leased job: 90 days for the trail, 180
for an instance's log store)."""

from __future__ import annotations

import logging
import threading

from vigil.audit import store
from vigil.audit.log_store import LogStores
from vigil.audit.pacing import IndexPacer
from vigil.audit.service import AuditTrail
from vigil.clock import Clock
from vigil.errors import VigilError
from vigil.scheduler import Job, Scheduler
from vigil.storage.engine import Database

log = logging.getLogger("vigil.audit")


class IndexerThread:
    """Indexes the journal as it grows, except while the pacer says to wait (vigil/audit/pacing.py)."""

    def __init__(self, trail: AuditTrail, pacer: IndexPacer | None = None, *, poll_s: float = 0.25) -> None:
        self._trail = trail
        self._pacer = pacer
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="vigil-audit-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.wait(self._poll_s):
            try:
                if self._pacer is not None and self._pacer.should_wait():
                    continue
                self._trail.catch_up()
            except VigilError as exc:
                log.warning("audit indexing pass failed: %s", exc.message)
            except Exception:
                log.exception("audit indexing pass crashed")


class Retention:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        management_days: int,
        instance_days: int,
        logs: LogStores | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.management_days = management_days
        self.instance_days = instance_days
        self._logs = logs

    def enforce(self) -> int:
        """Delete what is past retention (one batch per trail and store); the log stores' quota
        thresholds are re-armed by the space this frees. Returns how many records went."""
        with self._db.transaction() as tx:
            deleted = store.delete_expired(tx, self._clock.now_ms(), self.management_days, self.instance_days)
            if self._logs is not None:
                self._logs.recheck(tx)
            return deleted


def register_jobs(scheduler: Scheduler, retention: Retention, *, interval_s: float) -> None:
    scheduler.register(Job("audit.enforce_retention", max(interval_s, 60.0), retention.enforce))
