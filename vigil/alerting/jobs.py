"""Alerting's periodic jobs: the sweeps behind the worker thread (so a node that restarts, or a
test clock that jumps, finds due work) and the retention of records, hits and marks."""

from __future__ import annotations

from vigil.alerting import records
from vigil.alerting.deliveries import Deliveries
from vigil.alerting.pipeline import Dispatcher
from vigil.clock import DAY_MS, Clock
from vigil.scheduler import Job, Scheduler
from vigil.storage.engine import Database

HITS_KEPT_DAYS = 8
"""Noise windows last at most 7 days."""


class Retention:
    def __init__(self, db: Database, clock: Clock, days: int) -> None:
        self._db = db
        self._clock = clock
        self.days = days

    def enforce(self, limit: int = 5000) -> int:
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            removed = records.delete_before(tx, now - self.days * DAY_MS, limit)
            removed += tx.execute(
                "DELETE FROM alert_hits WHERE time_ms < ?", (now - HITS_KEPT_DAYS * DAY_MS,)
            )
            removed += tx.execute("DELETE FROM alert_marks WHERE at_ms < ?", (now - self.days * DAY_MS,))
        return int(removed)


def register_jobs(
    scheduler: Scheduler,
    dispatcher: Dispatcher,
    deliveries: Deliveries,
    retention: Retention,
    *,
    interval_s: float,
) -> None:
    scheduler.register(Job("alerting.dispatch", interval_s, dispatcher.dispatch_all))
    scheduler.register(Job("alerting.flush_groups", interval_s, dispatcher.flush_groups))
    scheduler.register(Job("alerting.escalate", interval_s, dispatcher.escalate))
    scheduler.register(Job("alerting.deliver", interval_s, deliveries.deliver_all))
    scheduler.register(Job("alerting.retention", interval_s, retention.enforce))
