"""A KMS instance and its quotas (pure values)."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import NotFound

GIB = 1 << 30
"""The GB of an instance's log storage quota (LogStorage) is a binary gigabyte."""


@dataclass(frozen=True, slots=True)
class Quotas:
    keys: int = 1000
    secrets: int = 1000
    access_management: int = 100
    log_storage_gb: int = 10
    qps: int = 20_000


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    account_id: str
    name: str
    is_default: bool
    quotas: Quotas
    created_at: int


@dataclass(frozen=True, slots=True)
class LogQuotaOptions:
    """How every instance's log store is bounded (VIGIL_AUDIT_LOG_QUOTA_BYTES, VIGIL_AUDIT_LOG_FULL)."""

    quota_bytes: int | None = None
    """Replaces each instance's own LogStorage (GB) when set."""
    when_full: str = "stop-logging"
    """``stop-logging``: a full store's data-plane records go to the account's trail instead;
    ``reject-requests``: data-plane calls on a full store's keys and secrets are refused."""

    def limit(self, quotas: Quotas) -> int:
        """The log store's quota in bytes."""
        return self.quota_bytes if self.quota_bytes is not None else quotas.log_storage_gb * GIB


class InstanceNotFound(NotFound):
    code = "Forbidden.InstanceNotFound"
