"""The key domain's periodic jobs: destruction at the end of deletion windows, automatic rotation."""

from __future__ import annotations

from vigil.keys.service import KeyService
from vigil.scheduler import Job, Scheduler


def register_jobs(scheduler: Scheduler, keys: KeyService, *, interval_s: float) -> None:
    scheduler.register(Job("keys.destroy_due_keys", interval_s, keys.destroy_due_keys))
    scheduler.register(Job("keys.rotate_due_keys", interval_s, keys.rotate_due_keys))
