"""A KMS instance and its quotas (pure values)."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.errors import NotFound


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


class InstanceNotFound(NotFound):
    code = "Forbidden.InstanceNotFound"
