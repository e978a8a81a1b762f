"""Keys, key versions and aliases, with the pure state rules of their lifecycle.

Every transition is a function from the old Key to the new one; the service writes the
result. Nothing here touches storage or HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from vigil.clock import DAY_MS
from vigil.errors import FailedPrecondition, InvalidArgument, NotFound
from vigil.keys.specs import KeySpec, KeyUsage


class KeyState(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"
    PENDING_DELETION = "PendingDeletion"
    DELETED = "Deleted"


class KeyNotFound(NotFound):
    code = "Forbidden.KeyNotFound"


class AliasNotFound(NotFound):
    code = "Forbidden.AliasNotFound"


class KeyVersionNotFound(NotFound):
    code = "Forbidden.KeyVersionNotFound"


class KeyDisabled(FailedPrecondition):
    code = "Rejected.Disabled"


class KeyPendingDeletion(FailedPrecondition):
    code = "Rejected.PendingDeletion"


class KeyStateInvalid(FailedPrecondition):
    code = "Rejected.Unavailable"


class DeletionProtected(FailedPrecondition):
    code = "Forbidden.DeletionProtection"


class UnsupportedOperation(FailedPrecondition):
    code = "UnsupportedOperation"


@dataclass(frozen=True, slots=True)
class Key:
    key_id: str
    account_id: str
    instance_id: str
    description: str
    spec: KeySpec
    usage: KeyUsage
    origin: str
    protection_level: str
    state: KeyState
    creator: str
    created_at: int
    updated_at: int
    delete_date: int | None
    destroyed_at: int | None
    primary_version_id: str
    automatic_rotation: str
    rotation_interval_s: int | None
    last_rotation_at: int | None
    next_rotation_at: int | None
    deletion_protection: bool
    deletion_protection_description: str


@dataclass(frozen=True, slots=True)
class KeyVersion:
    key_id: str
    version_id: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Alias:
    alias_name: str
    key_id: str
    created_at: int
    updated_at: int


MIN_PENDING_DAYS, MAX_PENDING_DAYS = 7, 366
MIN_ROTATION_S, MAX_ROTATION_S = 7 * 86_400, 730 * 86_400
_INTERVAL = re.compile(r"^(\d{1,12})([dhms])$")
_UNIT_S = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_ALIAS = re.compile(r"^alias/[A-Za-z0-9:/_-]{1,255}$")


def deletion_date(now_ms: int, pending_window_days: int) -> int:
    """When a key scheduled now is destroyed. Raises InvalidArgument outside 7-366 days."""
    if not MIN_PENDING_DAYS <= pending_window_days <= MAX_PENDING_DAYS:
        raise InvalidArgument(
            f"PendingWindowInDays must be between {MIN_PENDING_DAYS} and {MAX_PENDING_DAYS}, "
            f"got {pending_window_days}"
        )
    return now_ms + pending_window_days * DAY_MS


def parse_rotation_interval(text: str) -> int:
    """'7d', '168h' or '604800s' to seconds. Raises InvalidArgument outside 7-730 days."""
    match = _INTERVAL.match(text.strip())
    if match is None:
        raise InvalidArgument(
            f"RotationInterval {text!r} must be an integer with a unit d, h, m or s, e.g. 30d"
        )
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not MIN_ROTATION_S <= seconds <= MAX_ROTATION_S:
        raise InvalidArgument(f"RotationInterval {text!r} must be between 7 and 730 days")
    return seconds


def check_alias_name(name: str) -> str:
    if not _ALIAS.match(name):
        raise InvalidArgument(
            f"AliasName {name!r} must start with 'alias/' followed by 1-255 letters, digits, '_', '-', '/' or ':'"
        )
    if name.lower().startswith("alias/acs"):
        raise InvalidArgument(f"AliasName {name!r} uses the reserved prefix alias/acs")
    return name


def require_state_for_use(key: Key) -> None:
    """Cryptographic use needs an Enabled key; each other state has its documented error."""
    if key.state is KeyState.ENABLED:
        return
    if key.state is KeyState.DISABLED:
        raise KeyDisabled(f"key {key.key_id} is disabled")
    if key.state is KeyState.PENDING_DELETION:
        raise KeyPendingDeletion(f"key {key.key_id} is pending deletion")
    raise KeyNotFound(f"key {key.key_id} has been deleted")


def require_usage(key: Key, usage: KeyUsage, action: str) -> None:
    if key.usage is not usage:
        raise UnsupportedOperation(
            f"{action} is not supported by key {key.key_id}, whose usage is {key.usage}"
        )


def _require_not_deleted(key: Key) -> None:
    if key.state is KeyState.DELETED:
        raise KeyNotFound(f"key {key.key_id} has been deleted")


def enable(key: Key, now: int) -> Key:
    _require_not_deleted(key)
    if key.state is KeyState.PENDING_DELETION:
        raise KeyPendingDeletion(f"key {key.key_id} is pending deletion; cancel the deletion first")
    return replace(key, state=KeyState.ENABLED, updated_at=now)


def disable(key: Key, now: int) -> Key:
    _require_not_deleted(key)
    if key.state is KeyState.PENDING_DELETION:
        raise KeyPendingDeletion(f"key {key.key_id} is pending deletion; cancel the deletion first")
    return replace(key, state=KeyState.DISABLED, updated_at=now)


def schedule_deletion(key: Key, pending_window_days: int, now: int) -> Key:
    """Raises DeletionProtected, or KeyPendingDeletion if already scheduled."""
    _require_not_deleted(key)
    when = deletion_date(now, pending_window_days)
    if key.deletion_protection:
        raise DeletionProtected(f"key {key.key_id} has deletion protection enabled; turn it off first")
    if key.state is KeyState.PENDING_DELETION:
        raise KeyPendingDeletion(f"key {key.key_id} is already pending deletion")
    return replace(key, state=KeyState.PENDING_DELETION, delete_date=when, updated_at=now)


def cancel_deletion(key: Key, now: int) -> Key:
    """Back to Enabled, as Alibaba KMS does. Raises KeyStateInvalid unless pending deletion."""
    _require_not_deleted(key)
    if key.state is not KeyState.PENDING_DELETION:
        raise KeyStateInvalid(f"key {key.key_id} is not pending deletion (state {key.state})")
    return replace(key, state=KeyState.ENABLED, delete_date=None, updated_at=now)


def destroy(key: Key, now: int) -> Key:
    """The end of the deletion window: metadata stays, material goes."""
    return replace(
        key,
        state=KeyState.DELETED,
        destroyed_at=now,
        updated_at=now,
        automatic_rotation="Disabled",
        next_rotation_at=None,
    )


def rotate(key: Key, new_version_id: str, now: int) -> Key:
    """Make a new version primary; the next automatic rotation is counted from now."""
    _require_not_deleted(key)
    nxt = (
        now + key.rotation_interval_s * 1000
        if key.automatic_rotation == "Enabled" and key.rotation_interval_s
        else None
    )
    return replace(
        key, primary_version_id=new_version_id, last_rotation_at=now, next_rotation_at=nxt, updated_at=now
    )


def set_rotation_policy(key: Key, enabled: bool, interval_s: int | None, now: int) -> Key:
    _require_not_deleted(key)
    if enabled and key.spec not in (KeySpec.Aliyun_AES_256, KeySpec.Aliyun_AES_128):
        raise UnsupportedOperation(f"automatic rotation is supported only for symmetric keys, not {key.spec}")
    if enabled and interval_s is None:
        interval_s = key.rotation_interval_s or 365 * 86_400
    base = key.last_rotation_at or key.created_at
    nxt = max(base + interval_s * 1000, now) if enabled and interval_s else None
    return replace(
        key,
        automatic_rotation="Enabled" if enabled else "Disabled",
        rotation_interval_s=interval_s if enabled else key.rotation_interval_s,
        next_rotation_at=nxt,
        updated_at=now,
    )


def set_deletion_protection(key: Key, enabled: bool, description: str, now: int) -> Key:
    _require_not_deleted(key)
    return replace(
        key,
        deletion_protection=enabled,
        deletion_protection_description=description if enabled else "",
        updated_at=now,
    )
