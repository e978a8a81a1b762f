"""Building the audit trail from settings: the journal, the redactor, the call recorder, the
instances' log stores, indexing and retention."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from vigil.audit.calls import CallRecords
from vigil.audit.jobs import IndexerThread, Retention, register_jobs
from vigil.audit.journal import Journal
from vigil.audit.log_store import LogStores
from vigil.audit.pacing import IndexPacer, Pacing, ProcStatIdle
from vigil.audit.redaction import Redactor
from vigil.audit.service import AuditTrail
from vigil.clock import Clock
from vigil.errors import VigilError
from vigil.instances.service import InstanceService
from vigil.keys import ciphertext
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
    enabled: bool = True
    """False only under VIGIL_AUDIT=off (benchmarks): calls are then not recorded at all."""

    def close(self) -> None:
        self.indexing.stop()
        self.trail.close()


def build_audit(
    settings: Settings,
    db: Database,
    clock: Clock,
    salt: bytes,
    region: Callable[[], str],
    domains: tuple[InstanceService, KeyService, SecretService],
    scheduler: Scheduler,
) -> Audit:
    instances, keys, secrets = domains

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

    def instance_of_call(account_id: str, params: Mapping[str, Any]) -> str:
        """The KMS instance of the key or secret a call's parameters name, before it runs."""
        key_ref = params.get("KeyId") or _key_of_blob(params.get("CiphertextBlob"))
        if isinstance(key_ref, str) and key_ref:
            return instance_of(account_id, "ACS::KMS::Key", key_ref)
        name = params.get("SecretName") or params.get("secret_name")
        if isinstance(name, str) and name:
            return instance_of(account_id, "ACS::KMS::Secret", name)
        return ""

    journal = Journal(settings.audit_dir or settings.data_dir / "audit-journal", fsync=settings.audit_fsync)
    redactor = Redactor(salt)
    logs = LogStores(instances, db.dialect, instance_of_call)
    trail = AuditTrail(db, clock, journal, redactor, CallRecords(redactor, region, instance_of), logs)
    retention = Retention(
        db, clock, settings.audit_retention_days, settings.audit_instance_retention_days, logs
    )
    register_jobs(scheduler, retention, interval_s=settings.job_interval_seconds)
    pacing = Pacing(settings.audit_index_max_lag_seconds, settings.audit_index_max_lag_mb * 1024 * 1024)
    pacer = IndexPacer(ProcStatIdle(), trail.indexer.backlog_bytes, pacing)
    return Audit(trail, IndexerThread(trail, pacer), retention, settings.audit_enabled)


def _key_of_blob(blob: object) -> str:
    """The key a base64 ciphertext blob names, or "" for anything that is not one."""
    if not isinstance(blob, str) or not blob:
        return ""
    try:
        return ciphertext.decode(base64.b64decode(blob, validate=True)).key_id
    except (VigilError, binascii.Error, ValueError):
        return ""
