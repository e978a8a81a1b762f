"""The secret domain's periodic jobs: destruction after recovery windows, and recording expired versions."""

from __future__ import annotations

from vigil.scheduler import Job, Scheduler
from vigil.secrets.service import SecretService


def register_jobs(scheduler: Scheduler, secrets: SecretService, *, interval_s: float) -> None:
    scheduler.register(Job("secrets.destroy_due_secrets", interval_s, secrets.destroy_due_secrets))
    scheduler.register(
        Job("secrets.record_expired_versions", interval_s, lambda: len(secrets.record_expired_versions()))
    )
