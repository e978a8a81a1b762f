"""The event center's periodic job: retention."""

from __future__ import annotations

from vigil.events.service import EventCenter
from vigil.scheduler import Job, Scheduler


def register_jobs(scheduler: Scheduler, events: EventCenter, *, interval_s: float) -> None:
    scheduler.register(Job("events.enforce_retention", max(interval_s, 60.0), events.enforce_retention))
