"""The one place where storage, services, jobs and HTTP are wired together."""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vigil.alerting.wiring import Alerting, build_alerting
from vigil.alerting.worker import PipeWake, WakeSignal
from vigil.audit.wiring import Audit, build_audit
from vigil.clock import Clock, OffsetClock, SystemClock
from vigil.dialects.alibaba import (
    actiontrail,
    cms_events,
    cms_rules,
    kms_crypto,
    kms_keys,
    kms_secrets,
    vigil_alerting,
    vigil_api,
    vigil_audit,
    vigil_notifications,
)
from vigil.dialects.alibaba.endpoint import PopEndpoint
from vigil.dialects.huawei import csms, csms_events, csms_versions
from vigil.dialects.huawei.endpoint import PREFIX as CSMS_PREFIX
from vigil.dialects.huawei.endpoint import CsmsEndpoint
from vigil.errors import FailedPrecondition
from vigil.events import jobs as event_jobs
from vigil.events.service import EventCenter
from vigil.http.event_stream import PATH as STREAM_PATH
from vigil.http.event_stream import EventStreamEndpoint
from vigil.iam.authn import Authenticator
from vigil.iam.nonces import NonceTable
from vigil.iam.service import Bootstrap, IamService
from vigil.instances.model import LogQuotaOptions
from vigil.instances.service import InstanceService
from vigil.keys.crypto import Random, SystemRandom
from vigil.keys.data_plane import DataPlane
from vigil.keys.jobs import register_jobs
from vigil.keys.keyring import KeyRing
from vigil.keys.service import KeyService
from vigil.keys.wrapping import RootKey
from vigil.scheduler import Job, Scheduler
from vigil.secrets import jobs as secret_jobs
from vigil.secrets.consumers import ConsumerNotifier
from vigil.secrets.envelope import SecretSealer
from vigil.secrets.model import SecretType
from vigil.secrets.rotation import runner as rotation_runner
from vigil.secrets.rotation.base import Rotator
from vigil.secrets.rotation.database import DatabaseRotator
from vigil.secrets.rotation.engines import Engine
from vigil.secrets.rotation.mysql import MysqlEngine
from vigil.secrets.rotation.postgresql import PostgresEngine
from vigil.secrets.rotation.ram_credentials import RamCredentialsRotator
from vigil.secrets.rotation.runner import Rotations
from vigil.secrets.rotation.webhook import WebhookRotator
from vigil.secrets.service import SecretService
from vigil.settings import Settings
from vigil.storage import statistics
from vigil.storage.engine import Database, SqliteDatabase, connect
from vigil.storage.migrations import migrate
from vigil.webhooks import WebhookSender

log = logging.getLogger("vigil")

KMS_VERSION = "2016-01-20"
CMS_VERSION = "2019-01-01"
_CLOCK_OFFSET = "test_clock_offset_ms"
_ROOT_FINGERPRINT = "root_key_fingerprint"
_WEBHOOK_KEY = "webhook_signing_key"
_AUDIT_SALT = "audit_salt"

ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    test_clock: OffsetClock | None
    rng: Random
    iam: IamService
    instances: InstanceService
    keys: KeyService
    data_plane: DataPlane
    scheduler: Scheduler
    secrets: SecretService
    rotations: Rotations
    notifier: ConsumerNotifier
    webhook_key: bytes
    events: EventCenter
    alerting: Alerting
    audit: Audit

    @property
    def region(self) -> str:
        return self.iam.account.region

    def advance_clock(self, seconds: int) -> int:
        """Move the test clock forward and remember the offset across restarts."""
        if self.test_clock is None:
            raise FailedPrecondition("the server was not started with --test-clock")
        offset = self.test_clock.advance(seconds)
        with self.db.transaction() as tx:
            _put_meta(tx, _CLOCK_OFFSET, str(offset))
        return offset


@dataclass(slots=True)
class App:
    services: Services
    bootstrap: Bootstrap
    asgi: ASGIApp

    def close(self) -> None:
        self.services.scheduler.stop()
        self.services.alerting.close()
        self.services.audit.close()
        self.services.db.close()


@dataclass(frozen=True, slots=True)
class ProcessShared:
    """State every process of one server shares; created before the processes fork."""

    nonces: NonceTable
    clock: OffsetClock | None
    alerting_wake: WakeSignal | None = None
    """Set by a process that commits outbox rows, waited on by the background process that
    dispatches and delivers (None: both happen in this process)."""

    @classmethod
    def create(cls, settings: Settings, *, background_process: bool = False) -> ProcessShared:
        nonces = NonceTable(settings.nonce_slots, shared=settings.workers > 1)
        wake = PipeWake() if background_process else None
        return cls(nonces, OffsetClock() if settings.test_clock else None, wake)


def build(
    settings: Settings,
    *,
    start_jobs: bool = True,
    start_alerting: bool | None = None,
    shared: ProcessShared | None = None,
) -> App:
    """Open storage, migrate, bootstrap the account and wire every service and route.

    ``start_jobs`` starts the periodic jobs; ``start_alerting`` (by default the same) the thread
    that dispatches and delivers notifications as soon as their events commit.
    """
    settings.validate()
    shared = shared or ProcessShared.create(settings)
    db = connect(settings.database_url.reveal() if settings.database_url else None, settings.data_dir)
    migrate(db)
    root_key = _root_key(settings, db)
    test_clock = _test_clock(shared.clock, db)
    clock: Clock = test_clock or SystemClock()
    services = _services(settings, db, root_key, clock, test_clock, shared.alerting_wake)
    boot = services.iam.bootstrap(
        region=settings.region, project_id=settings.project_id, root_access_key=_root_pair(settings)
    )
    services.instances.ensure_default(boot.account.account_id)
    if start_jobs:
        services.scheduler.start()
        if isinstance(db, SqliteDatabase):
            db.start_checkpointing()
    if start_jobs if start_alerting is None else start_alerting:
        services.alerting.worker.start()
        services.audit.indexing.start()
    return App(services, boot, _asgi(services, settings, shared.nonces))


def _services(
    settings: Settings,
    db: Database,
    root_key: RootKey,
    clock: Clock,
    test_clock: OffsetClock | None,
    alerting_wake: WakeSignal | None,
) -> Services:
    rng = SystemRandom()
    ttl = settings.cache_ttl_seconds
    iam = IamService(db, root_key, clock, cache_ttl_s=ttl)
    events = EventCenter(db, clock, lambda: iam.account.region, retention_days=settings.event_retention_days)
    logs = LogQuotaOptions(settings.audit_log_quota_bytes, settings.audit_log_full)
    instances = InstanceService(db, clock, cache_ttl_s=ttl, logs=logs)
    keys = KeyService(db, root_key, clock, instances, KeyRing(db, root_key, ttl_s=ttl), rng)
    data_plane = DataPlane(keys, rng)
    webhook_key = _deployment_key(db, root_key, rng, _WEBHOOK_KEY, b"vigil:webhook-signing-key")
    sender = WebhookSender(webhook_key)
    rotations_box: list[Rotations] = []

    def check_config(kind: SecretType, config: dict[str, Any], data: bytes) -> None:
        rotations_box[0].check_config(kind, config, data)

    sealer = SecretSealer(data_plane, rng)
    secrets = SecretService(db, clock, keys, instances, sealer, cache_ttl_s=ttl, check_config=check_config)
    rotations = Rotations(secrets, iam, sender, rng, _rotators(settings))
    rotations_box.append(rotations)
    notifier = ConsumerNotifier(db, clock, sender, secrets.events)
    scheduler = Scheduler(db)
    interval = settings.job_interval_seconds
    register_jobs(scheduler, keys, interval_s=interval)
    secret_jobs.register_jobs(scheduler, secrets, interval_s=interval)
    rotation_runner.register_jobs(scheduler, rotations, interval_s=interval)
    scheduler.register(Job("secrets.deliver_consumer_notices", interval, notifier.deliver_due_notices))
    event_jobs.register_jobs(scheduler, events, interval_s=interval)
    statistics.register_jobs(scheduler, db)
    alerting = build_alerting(settings, db, clock, scheduler, webhook_key, alerting_wake)
    events.router = alerting.router
    _connect_events(events, iam, instances, keys, secrets)
    salt = _deployment_key(db, root_key, rng, _AUDIT_SALT, b"vigil:audit-salt")
    domains = (instances, keys, secrets)
    audit = build_audit(settings, db, clock, salt, lambda: iam.account.region, domains, scheduler)
    _connect_audit(audit, keys, secrets, rotations)
    return Services(
        settings,
        db,
        clock,
        test_clock,
        rng,
        iam,
        instances,
        keys,
        data_plane,
        scheduler,
        secrets,
        rotations,
        notifier,
        webhook_key,
        events,
        alerting,
        audit,
    )


def _connect_events(
    events: EventCenter, iam: IamService, instances: InstanceService, keys: KeyService, secrets: SecretService
) -> None:
    """Let the domains raise their system events (and count policies against the instance's quota)."""
    instances.events = events
    keys.events = events
    secrets.events.center = events
    iam.policy_quota = instances


def _connect_audit(audit: Audit, keys: KeyService, secrets: SecretService, rotations: Rotations) -> None:
    """Let the domains record their background actions (destruction, automatic rotation) in the trail."""
    keys.audit = audit.trail
    secrets.audit = audit.trail
    rotations.audit = audit.trail


def _rotators(settings: Settings) -> dict[str, Rotator]:
    """The rotator for each kind of rotatable secret (database, ram, webhook)."""
    engines: dict[str, Engine] = {"postgresql": PostgresEngine(), "mysql": MysqlEngine()}
    return {
        "database": DatabaseRotator(engines),
        "ram": RamCredentialsRotator(),
        "webhook": WebhookRotator(),
    }


def _deployment_key(db: Database, root_key: RootKey, rng: Random, name: str, aad: bytes) -> bytes:
    """A deployment-wide secret (the webhook signing key, the audit salt), created once and kept
    wrapped by the root key."""
    with db.transaction() as tx:
        row = tx.one("SELECT value FROM meta WHERE name = ?", (name,))
        if row is not None:
            return root_key.unwrap(base64.b64decode(row["value"]), aad)
        key = rng.bytes(32)
        _put_meta(tx, name, base64.b64encode(root_key.wrap(key, aad)).decode())
        return key


def _root_pair(settings: Settings) -> tuple[str, str] | None:
    if settings.root_access_key_id and settings.root_access_key_secret:
        return settings.root_access_key_id, settings.root_access_key_secret.reveal()
    return None


def _root_key(settings: Settings, db: Database) -> RootKey:
    """Load (or create) the root key and refuse to run against data wrapped by another one."""
    path = settings.resolved_root_key_file
    if settings.root_key_file is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    root_key = RootKey.load_or_create(path) if settings.root_key_file is None else RootKey.load(path)
    with db.transaction() as tx:
        row = tx.one("SELECT value FROM meta WHERE name = ?", (_ROOT_FINGERPRINT,))
        if row is None:
            _put_meta(tx, _ROOT_FINGERPRINT, root_key.fingerprint())
        elif row["value"] != root_key.fingerprint():
            raise FailedPrecondition(
                f"the root key in {path} is not the one this database was created with "
                f"(fingerprint {root_key.fingerprint()} != {row['value']})"
            )
    return root_key


def _test_clock(clock: OffsetClock | None, db: Database) -> OffsetClock | None:
    """The shared test clock, never behind the offset stored by an earlier run."""
    if clock is None:
        return None
    with db.transaction(write=False) as tx:
        row = tx.one("SELECT value FROM meta WHERE name = ?", (_CLOCK_OFFSET,))
    stored = int(row["value"]) if row else 0
    if stored > clock.offset_ms:
        clock.advance((stored - clock.offset_ms) / 1000)
    return clock


def _put_meta(tx: Any, name: str, value: str) -> None:
    tx.execute(
        "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )


def _asgi(services: Services, settings: Settings, nonces: NonceTable) -> ASGIApp:
    vigil_ops = list(vigil_api.OPERATIONS) + kms_secrets.VIGIL_OPERATIONS + cms_events.VIGIL_OPERATIONS
    vigil_ops += vigil_alerting.OPERATIONS + vigil_notifications.OPERATIONS + vigil_audit.OPERATIONS
    if settings.test_clock:
        vigil_ops += vigil_api.TEST_CLOCK_OPERATIONS
    kms_ops = kms_keys.OPERATIONS + kms_crypto.OPERATIONS + kms_secrets.OPERATIONS
    operations = [(KMS_VERSION, op) for op in kms_ops]
    operations += [(CMS_VERSION, op) for op in cms_events.OPERATIONS + cms_rules.OPERATIONS]
    operations += [(actiontrail.VERSION, op) for op in actiontrail.OPERATIONS]
    operations += [(vigil_api.VERSION, op) for op in vigil_ops]
    authenticator = Authenticator(services.iam, nonces, skew_s=settings.clock_skew_seconds)
    pop = PopEndpoint(operations, authenticator, services, host_id=f"kms.{services.region}.vigil")
    huawei = CsmsEndpoint(csms.ROUTES + csms_versions.ROUTES + csms_events.ROUTES, authenticator, services)
    stream = EventStreamEndpoint(services, authenticator, host_id=f"kms.{services.region}.vigil")

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "region": services.region})

    site = Starlette(routes=[Route("/healthz", healthz)])

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/":
            await pop(scope, receive, send)
        elif scope["type"] == "http" and scope["path"].startswith(CSMS_PREFIX):
            await huawei(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == STREAM_PATH:
            await stream(scope, receive, send)
        else:
            await site(scope, receive, send)

    return app


def write_root_credentials(data_dir: Path, access_key_id: str, secret: str) -> Path:
    """Save a generated root access key where only the owner can read it (mode 0600)."""
    path = data_dir / "root-credentials.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"AccessKeyId": access_key_id, "AccessKeySecret": secret}, fh)
        fh.write("\n")
    os.chmod(path, 0o600)
    return path
