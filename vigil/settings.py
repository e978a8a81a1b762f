"""Settings: read once from an environment mapping, validated at start-up.

This is the only module that knows the names of Vigil's environment variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from vigil.errors import InvalidArgument


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'**********'"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class SettingsError(InvalidArgument):
    code = "InvalidConfiguration"


LOG_FULL_ACTIONS = ("stop-logging", "reject-requests")
"""The values of VIGIL_AUDIT_LOG_FULL; the first is the default."""

_REGION = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_PROJECT = re.compile(r"^[0-9a-f]{32}$")
_AK_ID = re.compile(r"^[A-Za-z0-9]{8,64}$")


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("./vigil-data")
    host: str = "127.0.0.1"
    port: int = 8200
    database_url: Secret | None = None
    root_key_file: Path | None = None
    root_access_key_id: str | None = None
    root_access_key_secret: Secret | None = None
    region: str | None = None
    project_id: str | None = None
    test_clock: bool = False
    clock_skew_seconds: int = 900
    cache_ttl_seconds: float = 1.0
    job_interval_seconds: float = 5.0
    log_level: str = "info"
    workers: int = 1
    event_retention_days: int = 90
    nonce_slots: int = 1 << 22
    notification_retention_days: int = 92
    """Three months of delivery records, however the months fall."""
    delivery_attempts: int = 5
    delivery_backoff_seconds: float = 2.0
    delivery_lease_seconds: float = 60.0
    smtp_url: Secret | None = None
    """smtp://[user:password@]host[:port][?from=addr&starttls=1], or smtps:// for implicit TLS."""
    redis_url: str | None = None
    nats_url: str | None = None
    audit_dir: Path | None = None
    """Where each process journals the audit records of its calls (default: <data dir>/audit-journal)."""
    audit_fsync: bool = False
    """fsync every group of audit records: survives a machine crash, not just a killed process."""
    audit_retention_days: int = 90
    audit_instance_retention_days: int = 180
    audit_index_max_lag_seconds: float = 60.0
    """While every core is busy, audit indexing waits up to this long (vigil/audit/pacing.py)."""
    audit_index_max_lag_mb: int = 256
    """… and up to this much journal not yet indexed."""
    audit_enabled: bool = True
    """False only to measure what the audit trail costs (bench/audit_encrypt.py): calls are then
    carried out without any record, which no deployment should accept."""
    audit_log_full: str = "stop-logging"
    """What happens when a KMS instance's log store reaches its quota: ``stop-logging`` (its
    data-plane records go to the account's trail instead) or ``reject-requests``."""
    audit_log_quota_bytes: int | None = None
    """Every instance's log store quota in bytes, replacing the per-instance figure in GB."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        """Build settings from an environment mapping; keyword overrides (CLI flags) win."""
        env = {k: v for k, v in environ.items() if k.startswith("VIGIL_") and v != ""}
        base = cls(
            data_dir=Path(env.get("VIGIL_DATA_DIR", "./vigil-data")),
            database_url=_secret(env.get("VIGIL_DATABASE_URL")),
            root_key_file=Path(env["VIGIL_ROOT_KEY_FILE"]) if "VIGIL_ROOT_KEY_FILE" in env else None,
            root_access_key_id=env.get("VIGIL_ROOT_ACCESS_KEY_ID"),
            root_access_key_secret=_secret(env.get("VIGIL_ROOT_ACCESS_KEY_SECRET")),
            region=env.get("VIGIL_REGION"),
            project_id=env.get("VIGIL_PROJECT_ID"),
            log_level=env.get("VIGIL_LOG_LEVEL", "info"),
            workers=_int(env, "VIGIL_WORKERS", default_workers()),
            event_retention_days=_int(env, "VIGIL_EVENT_RETENTION_DAYS", 90),
            nonce_slots=_int(env, "VIGIL_NONCE_SLOTS", 1 << 22),
            notification_retention_days=_int(env, "VIGIL_NOTIFICATION_RETENTION_DAYS", 92),
            delivery_attempts=_int(env, "VIGIL_DELIVERY_ATTEMPTS", 5),
            delivery_backoff_seconds=_float(env, "VIGIL_DELIVERY_BACKOFF_SECONDS", 2.0),
            delivery_lease_seconds=_float(env, "VIGIL_DELIVERY_LEASE_SECONDS", 60.0),
            smtp_url=_secret(env.get("VIGIL_SMTP_URL")),
            redis_url=env.get("VIGIL_REDIS_URL"),
            nats_url=env.get("VIGIL_NATS_URL"),
            audit_dir=Path(env["VIGIL_AUDIT_DIR"]) if "VIGIL_AUDIT_DIR" in env else None,
            audit_fsync=env.get("VIGIL_AUDIT_FSYNC", "0").lower() in ("1", "true", "yes"),
            audit_retention_days=_int(env, "VIGIL_AUDIT_RETENTION_DAYS", 90),
            audit_instance_retention_days=_int(env, "VIGIL_AUDIT_INSTANCE_RETENTION_DAYS", 180),
            audit_enabled=_switch(env, "VIGIL_AUDIT"),
            audit_index_max_lag_seconds=_float(env, "VIGIL_AUDIT_INDEX_MAX_LAG_SECONDS", 60.0),
            audit_index_max_lag_mb=_int(env, "VIGIL_AUDIT_INDEX_MAX_LAG_MB", 256),
            audit_log_full=env.get("VIGIL_AUDIT_LOG_FULL", "stop-logging"),
            audit_log_quota_bytes=(
                _int(env, "VIGIL_AUDIT_LOG_QUOTA_BYTES", 0) if "VIGIL_AUDIT_LOG_QUOTA_BYTES" in env else None
            ),
        )
        known = {f.name for f in fields(cls)}
        chosen = {k: v for k, v in overrides.items() if v is not None and k in known}
        return replace(base, **chosen)  # type: ignore[arg-type]

    def validate(self) -> Settings:
        """Check every value; raises SettingsError naming the variable that is wrong."""
        if self.region is not None and not _REGION.match(self.region):
            raise SettingsError(f"VIGIL_REGION {self.region!r} is not a region id such as cn-hangzhou")
        if self.project_id is not None and not _PROJECT.match(self.project_id):
            raise SettingsError("VIGIL_PROJECT_ID must be 32 lower-case hex characters")
        if (self.root_access_key_id is None) != (self.root_access_key_secret is None):
            raise SettingsError(
                "VIGIL_ROOT_ACCESS_KEY_ID and VIGIL_ROOT_ACCESS_KEY_SECRET must be set together"
            )
        if self.root_access_key_id is not None and not _AK_ID.match(self.root_access_key_id):
            raise SettingsError("VIGIL_ROOT_ACCESS_KEY_ID must be 8-64 letters and digits")
        secret = self.root_access_key_secret
        if secret is not None and len(secret.reveal()) < 16:
            raise SettingsError("VIGIL_ROOT_ACCESS_KEY_SECRET must be at least 16 characters")
        url = self.database_url
        if url is not None and not url.reveal().startswith(("postgresql://", "postgres://")):
            raise SettingsError("VIGIL_DATABASE_URL must be a postgresql:// URL")
        if not 1 <= self.event_retention_days <= 3650:
            raise SettingsError("VIGIL_EVENT_RETENTION_DAYS must be 1-3650")
        if not 1 <= self.notification_retention_days <= 3650:
            raise SettingsError("VIGIL_NOTIFICATION_RETENTION_DAYS must be 1-3650")
        if not 1 <= self.delivery_attempts <= 100:
            raise SettingsError("VIGIL_DELIVERY_ATTEMPTS must be 1-100")
        if not 0.01 <= self.delivery_backoff_seconds <= 3600:
            raise SettingsError("VIGIL_DELIVERY_BACKOFF_SECONDS must be 0.01-3600")
        if not 1 <= self.delivery_lease_seconds <= 3600:
            raise SettingsError("VIGIL_DELIVERY_LEASE_SECONDS must be 1-3600")
        smtp = self.smtp_url
        if smtp is not None and not smtp.reveal().startswith(("smtp://", "smtps://")):
            raise SettingsError("VIGIL_SMTP_URL must be an smtp:// or smtps:// URL")
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://")):
            raise SettingsError("VIGIL_REDIS_URL must be a redis:// or rediss:// URL")
        if self.nats_url is not None and not self.nats_url.startswith(("nats://", "tls://")):
            raise SettingsError("VIGIL_NATS_URL must be a nats:// or tls:// URL")
        if not 1 <= self.workers <= 64:
            raise SettingsError(f"VIGIL_WORKERS (--workers) must be 1-64, got {self.workers}")
        if self.nonce_slots < 1024 or self.nonce_slots & (self.nonce_slots - 1):
            raise SettingsError("VIGIL_NONCE_SLOTS must be a power of two, at least 1024")
        if self.audit_log_full not in LOG_FULL_ACTIONS:
            raise SettingsError(
                f"VIGIL_AUDIT_LOG_FULL must be one of {', '.join(LOG_FULL_ACTIONS)}, got {self.audit_log_full!r}"
            )
        if self.audit_index_max_lag_seconds < 0 or self.audit_index_max_lag_mb < 0:
            raise SettingsError(
                "VIGIL_AUDIT_INDEX_MAX_LAG_SECONDS and VIGIL_AUDIT_INDEX_MAX_LAG_MB must not be negative"
            )
        if self.audit_log_quota_bytes is not None and self.audit_log_quota_bytes < 1:
            raise SettingsError("VIGIL_AUDIT_LOG_QUOTA_BYTES must be a positive number of bytes")
        if not 0 < self.port < 65536 and self.port != 0:
            raise SettingsError(f"port {self.port} is out of range")
        return self

    @property
    def resolved_root_key_file(self) -> Path:
        return self.root_key_file or self.data_dir / "root.key"


def default_workers() -> int:
    """One worker process per CPU (at most 8): a Python process uses one core."""
    return max(
        1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {env[name]!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {env[name]!r}") from None


def _switch(env: Mapping[str, str], name: str) -> bool:
    """An on/off variable that defaults to on."""
    value = env.get(name, "on").lower()
    if value not in ("on", "off", "1", "0", "true", "false", "yes", "no"):
        raise SettingsError(f"{name} must be on or off, got {env[name]!r}")
    return value in ("on", "1", "true", "yes")


def _secret(value: str | None) -> Secret | None:
    return None if value is None else Secret(value)
