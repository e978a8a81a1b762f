"""Building the audit trail from settings: the journal, the redactor, the call recorder, indexing
and retention."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vigil.audit.calls import CallRecords
from vigil.audit.jobs import IndexerThread, Retention, register_jobs
from vigil.audit.journal import Journal
from vigil.audit.redaction import Redactor
from vigil.audit.service import AuditTrail
from vigil.clock import Clock
from vigil.errors import VigilError
from vigil.keys.service import KeyService
from vigil.scheduler import Scheduler
from vigil.secrets.service import SecretService
from vigil.settings import Settings
from vigil.storage.engine import Database


@dataclass(slots=True)
class Audit:
    trail: AuditTrail
    indexing: IndexerThread
    retention: Retention

    def close(self) -> None:
        self.indexing.stop()
        self.trail.close()


def build_audit(
    settings: Settings,
    db: Database,
    clock: Clock,
    salt: bytes,
    region: Callable[[], str],
    keys: KeyService,
    secrets: SecretService,
    scheduler: Scheduler,
) -> Audit:
    def instance_of(account_id: str, resource_type: str, name: str) -> str:
        """The KMS instance of a data-plane call's key or secret (from the services' caches)."""
        try:
            if resource_type == "ACS::KMS::Key":
                return keys.resolve(account_id, name).instance_id
            if resource_type in ("ACS::KMS::Secret", "ACS::CSMS::Secret"):
                return secrets.describe_secret(account_id, name).instance_id
        except VigilError:
            return ""
        return ""

    journal = Journal(settings.audit_dir or settings.data_dir / "audit-journal", fsync=settings.audit_fsync)
    redactor = Redactor(salt)
    trail = AuditTrail(db, clock, journal, redactor, CallRecords(redactor, region, instance_of))
    retention = Retention(db, clock, settings.audit_retention_days, settings.audit_instance_retention_days)
    register_jobs(scheduler, retention, interval_s=settings.job_interval_seconds)
    return Audit(trail, IndexerThread(trail), retention)
