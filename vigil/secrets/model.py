"""Secrets and secret versions (pure values) and the secret error family."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vigil.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound


class SecretType(StrEnum):
    GENERIC = "Generic"
    RDS = "Rds"
    RAM_CREDENTIALS = "RAMCredentials"


class SecretState(StrEnum):
    ENABLED = "Enabled"
    PENDING_DELETE = "PendingDelete"


class DataType(StrEnum):
    TEXT = "text"
    BINARY = "binary"


class SecretNotFound(NotFound):
    code = "Forbidden.ResourceNotFound"


class SecretVersionNotFound(NotFound):
    code = "Forbidden.ResourceNotFound"


class SecretExists(AlreadyExists):
    code = "Rejected.ResourceExist"


class SecretPendingDeletion(FailedPrecondition):
    code = "Rejected.SecretPendingDeletion"


class RotationInProgress(FailedPrecondition):
    code = "Rejected.RotationInProgress"


class RotationUnsupported(FailedPrecondition):
    code = "Rejected.UnsupportedOperation"


@dataclass(frozen=True, slots=True)
class Secret:
    account_id: str
    name: str
    secret_id: str
    instance_id: str
    secret_type: SecretType
    description: str
    encryption_key_id: str
    extended_config: dict[str, Any]
    automatic_rotation: bool
    rotation_interval_s: int | None
    last_rotation_at: int | None
    next_rotation_at: int | None
    state: SecretState
    planned_delete_at: int | None
    created_at: int
    updated_at: int
    event_subscriptions: tuple[str, ...] = ()
    enterprise_project_id: str = "0"
    rotating_id: str | None = None

    @property
    def extended_config_json(self) -> str:
        return json.dumps(self.extended_config, separators=(",", ":")) if self.extended_config else ""


@dataclass(frozen=True, slots=True)
class SecretVersion:
    version_id: str
    seq: int
    created_at: int
    data_type: DataType
    key_id: str
    stages: tuple[str, ...] = ()
    expire_at: int | None = None


@dataclass(frozen=True, slots=True)
class SecretValue:
    """A decrypted version; its repr never shows the value."""

    secret: Secret
    version: SecretVersion
    data: bytes = field(repr=False)

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


MAX_VALUE_BYTES = 32 * 1024
_NAME = re.compile(r"^[A-Za-z0-9_/+=.@-]{1,192}$")
_VERSION_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check_secret_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidArgument(
            f"SecretName {name[:200]!r} is invalid: use 1-192 letters, digits and _ / + = . @ -"
        )
    return name


def check_version_id(version_id: str) -> str:
    if not _VERSION_ID.match(version_id):
        raise InvalidArgument(
            f"VersionId {version_id[:80]!r} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return version_id


def check_value(data: bytes) -> bytes:
    """Raises InvalidArgument for an empty or oversized value (without echoing it)."""
    if not data:
        raise InvalidArgument("SecretData must not be empty")
    if len(data) > MAX_VALUE_BYTES:
        raise InvalidArgument(f"SecretData is {len(data)} bytes; the limit is {MAX_VALUE_BYTES}")
    return data


def parse_secret_type(text: str | None) -> SecretType:
    if not text:
        return SecretType.GENERIC
    try:
        return SecretType(text)
    except ValueError:
        raise InvalidArgument(f"SecretType {text!r} is invalid; use Generic, Rds or RAMCredentials") from None


def parse_data_type(text: str | None) -> DataType:
    if not text:
        return DataType.TEXT
    try:
        return DataType(text)
    except ValueError:
        raise InvalidArgument(f"SecretDataType {text!r} is invalid; use text or binary") from None
