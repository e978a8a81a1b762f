"""Huawei Cloud CSMS v1 secret operations: thin translations between the CSMS REST shapes and the secret service.

One store serves both dialects, so the translations are fixed: COMMON is Generic and RDS-FG is Rds;
SYSCURRENT, SYSPREVIOUS and SYSPENDING are ACSCurrent, ACSPrevious and ACSPending; ``rotation_config``
is the secret's ExtendedConfig as a JSON string. Times are milliseconds since the epoch.
Versions and stages live in ``csms_versions``.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from vigil.dialects.huawei.errors import SecretNotPendingDeletion
from vigil.dialects.huawei.rest import Fields, Route
from vigil.errors import InvalidArgument
from vigil.http.calls import CallContext, Operation
from vigil.keys.crypto import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, random_password
from vigil.secrets.model import DataType, RotationUnsupported, Secret, SecretState, SecretType
from vigil.secrets.service import NewSecret
from vigil.secrets.versions import parse_rotation_interval

Result = dict[str, Any]

SECRET_TYPES = {"COMMON": SecretType.GENERIC, "RDS-FG": SecretType.RDS}
TYPE_NAMES = {
    SecretType.GENERIC: "COMMON",
    SecretType.RDS: "RDS-FG",
    SecretType.RAM_CREDENTIALS: "RAMCredentials",
}
TASK_STATUS = {"Success": "SUCCESS", "Failure": "FAILED", "Rotating": "IN_PROGRESS"}

MAX_NAME = 192
MAX_DESCRIPTION = 2048
MAX_PAGE = 200
DEFAULT_PAGE = 50
DEFAULT_PASSWORD_LENGTH = 32
_HISTORY_WINDOW = 10_000
_SCAN_BATCH = 200


# -- shapes ----------------------------------------------------------------------------------


def secret_view(s: Secret) -> Result:
    """The CSMS ``Secret`` model of a stored secret."""
    pending = s.state is SecretState.PENDING_DELETE
    return {
        "id": s.secret_id,
        "name": s.name,
        "state": "PENDING_DELETE" if pending else "ENABLED",
        "kms_key_id": s.encryption_key_id,
        "description": s.description,
        "create_time": s.created_at,
        "update_time": s.updated_at,
        "scheduled_delete_time": s.planned_delete_at if pending else None,
        "secret_type": TYPE_NAMES[s.secret_type],
        "auto_rotation": s.automatic_rotation,
        "rotation_period": rotation_period(s.rotation_interval_s),
        "rotation_config": s.extended_config_json,
        "rotation_time": s.last_rotation_at,
        "next_rotation_time": s.next_rotation_at,
        "event_subscriptions": list(s.event_subscriptions),
        "enterprise_project_id": s.enterprise_project_id,
        "rotation_func_urn": "",
    }


def rotation_period(seconds: int | None) -> str:
    """CSMS writes periods in days or hours; an interval set through KMS in other units stays in seconds."""
    if not seconds:
        return ""
    for unit, size in (("d", 86_400), ("h", 3_600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def page_info(next_marker: str, marker: str | None, count: int) -> Result:
    return {"next_marker": next_marker, "previous_marker": marker or "", "current_count": count}


# -- request fields --------------------------------------------------------------------------


def secret_value(f: Fields) -> tuple[bytes, DataType]:
    """``secret_string`` (UTF-8 text) or ``secret_binary`` (base64), exactly one of them."""
    text = f.str("secret_string")
    binary = f.str("secret_binary", max_len=1 << 20)
    if text is not None and binary is None:
        return text.encode("utf-8"), DataType.TEXT
    if binary is None or text is not None:
        raise InvalidArgument("give exactly one of secret_string and secret_binary")
    try:
        return base64.b64decode(binary, validate=True), DataType.BINARY
    except (binascii.Error, ValueError):
        raise InvalidArgument("secret_binary must be valid base64") from None


def _secret_type(f: Fields) -> SecretType:
    name = f.str("secret_type", "COMMON", max_len=32) or "COMMON"
    if name not in SECRET_TYPES:
        raise InvalidArgument(
            f"secret_type {name!r} is not supported; use COMMON (a Generic secret) or RDS-FG (an Rds secret "
            "rotated by Vigil's database rotator)"
        )
    return SECRET_TYPES[name]


def _rotation_config(f: Fields) -> dict[str, Any]:
    text = f.str("rotation_config", max_len=8192)
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise InvalidArgument(
            'rotation_config must be a JSON object in a string, e.g. "{\\"RotationWebhook\\": \\"https://…\\"}"'
        )
    return value


def _interval(f: Fields) -> int | None:
    period = f.str("rotation_period", max_len=16)
    return None if period is None else parse_rotation_interval(period, "rotation_period")


def _subscriptions(f: Fields) -> list[str] | None:
    return f.str_list("event_subscriptions", max_items=1)


def _refuse_function_urn(f: Fields) -> None:
    if f.str("rotation_func_urn", max_len=512) is not None:
        raise InvalidArgument(
            "rotation_func_urn (a FunctionGraph function) is not supported; rotate COMMON secrets through "
            'a webhook with rotation_config "{\\"RotationWebhook\\": URL}"'
        )


# -- secrets ---------------------------------------------------------------------------------


def create_secret(ctx: CallContext, f: Fields) -> Result:
    data, data_type = secret_value(f)
    auto = f.bool("auto_rotation")
    interval = _interval(f)
    if auto and interval is None:
        raise InvalidArgument("rotation_period is mandatory when auto_rotation is true, e.g. 30d")
    _refuse_function_urn(f)
    new = NewSecret(
        name=f.required("name", max_len=MAX_NAME),
        data=data,
        data_type=data_type,
        secret_type=_secret_type(f),
        description=f.str("description", "", max_len=MAX_DESCRIPTION) or "",
        encryption_key_id=f.str("kms_key_id", max_len=256),
        extended_config=_rotation_config(f),
        automatic_rotation=auto,
        rotation_interval_s=interval,
        event_subscriptions=tuple(_subscriptions(f) or ()),
        enterprise_project_id=f.str("enterprise_project_id", "0", max_len=64) or "0",
    )
    secret, _ = ctx.services.secrets.create_secret(ctx.account_id, new)
    return {"secret": secret_view(secret)}


def show_secret(ctx: CallContext, f: Fields) -> Result:
    return {
        "secret": secret_view(
            ctx.services.secrets.describe_secret(ctx.account_id, f.path_param("secret_name"))
        )
    }


def list_secrets(ctx: CallContext, f: Fields) -> Result:
    """Secrets ordered by name; ``marker`` is the last name of the previous page."""
    limit = f.query_int("limit", DEFAULT_PAGE, lo=1, hi=MAX_PAGE)
    marker = f.query_str("marker", max_len=MAX_NAME)
    event = f.query_str("event_name", max_len=64)
    found = _scan_secrets(ctx, marker, limit + 1, event)
    page = found[:limit]
    next_marker = page[-1].name if len(found) > limit else ""
    return {"secrets": [secret_view(s) for s in page], "page_info": page_info(next_marker, marker, len(page))}


def _scan_secrets(ctx: CallContext, after: str | None, wanted: int, event: str | None) -> list[Secret]:
    """Up to ``wanted`` secrets after ``after``; with an event name, only those subscribed to it."""
    found: list[Secret] = []
    batch_size = _SCAN_BATCH if event else wanted
    while len(found) < wanted:
        batch, _ = ctx.services.secrets.list_secrets(ctx.account_id, {}, 1, batch_size, after)
        found += [s for s in batch if event is None or event in s.event_subscriptions]
        if len(batch) < batch_size:
            break
        after = batch[-1].name
    return found


def update_secret(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    _refuse_function_urn(f)
    description = f.str("description", "", max_len=MAX_DESCRIPTION) if f.has("description") else None
    key = f.str("kms_key_id", max_len=256)
    subscriptions = _subscriptions(f)
    auto = f.bool("auto_rotation") if f.has("auto_rotation") else None
    interval = _interval(f)
    secrets = ctx.services.secrets
    current = secrets.describe_secret(ctx.account_id, name)
    enabled = current.automatic_rotation if auto is None else auto
    if enabled and interval is None and current.rotation_interval_s is None:
        raise InvalidArgument("rotation_period is mandatory when auto_rotation is true, e.g. 30d")
    secret = secrets.update_secret(
        ctx.account_id,
        name,
        description=description,
        encryption_key_id=key,
        event_subscriptions=subscriptions,
    )
    if auto is not None or interval is not None:
        secret = secrets.update_rotation_policy(ctx.account_id, name, enabled, interval)
    return {"secret": secret_view(secret)}


def delete_secret(ctx: CallContext, f: Fields) -> Result:
    """Destroys the secret and every version at once; DeleteSecretForSchedule is the undoable one."""
    ctx.services.secrets.delete_secret(ctx.account_id, f.path_param("secret_name"), None, True)
    return {}


def delete_secret_for_schedule(ctx: CallContext, f: Fields) -> Result:
    days = f.int("recovery_window_in_days", lo=7, hi=30)
    secret = ctx.services.secrets.delete_secret(
        ctx.account_id, f.path_param("secret_name"), days or 30, False
    )
    return {"secret": secret_view(secret)}


def restore_secret(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    secrets = ctx.services.secrets
    if secrets.describe_secret(ctx.account_id, name).state is not SecretState.PENDING_DELETE:
        raise SecretNotPendingDeletion(f"secret {name!r} is not scheduled for deletion")
    return {"secret": secret_view(secrets.restore_secret(ctx.account_id, name))}


# -- rotation --------------------------------------------------------------------------------


def rotate_secret(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    secret = ctx.services.secrets.describe_secret(ctx.account_id, name)
    if ctx.services.rotations.rotator_for(secret.secret_type, secret.extended_config) is None:
        raise RotationUnsupported(_why_not_rotatable(secret))
    result = ctx.services.rotations.rotate_secret(ctx.account_id, name, "Manual")
    return {"version_id": result.version_id, "secret_name": name, "rotation_task_id": result.rotation_id}


def _why_not_rotatable(secret: Secret) -> str:
    if secret.secret_type is SecretType.GENERIC:
        return (
            f"secret {secret.name!r} cannot be rotated: a COMMON secret needs rotation_config "
            '"{\\"RotationWebhook\\": URL}" naming the webhook that performs the rotation'
        )
    return (
        f"secret {secret.name!r} cannot be rotated: this Vigil has no rotator for "
        f"{TYPE_NAMES[secret.secret_type]} secrets"
    )


def list_secret_task(ctx: CallContext, f: Fields) -> Result:
    """The rotation history, newest first; ``marker`` is the last task id of the previous page."""
    name = f.query_str("secret_name", max_len=MAX_NAME)
    status = f.query_str("status", max_len=16)
    task_id = f.query_str("task_id", max_len=64)
    if task_id is not None and (name is not None or status is not None):
        raise InvalidArgument("task_id cannot be combined with secret_name or status")
    if status is not None and status not in TASK_STATUS.values():
        raise InvalidArgument(f"status {status!r} is invalid; use SUCCESS, FAILED or IN_PROGRESS")
    limit = f.query_int("limit", DEFAULT_PAGE, lo=1, hi=1000)
    marker = f.query_str("marker", max_len=64)
    rows = ctx.services.secrets.rotation_history(ctx.account_id, name, _HISTORY_WINDOW)
    tasks = [
        t
        for t in map(_task, rows)
        if (status is None or t["task_status"] == status) and (task_id is None or t["task_id"] == task_id)
    ]
    start = position_after(marker, [t["task_id"] for t in tasks], "task")
    page = tasks[start : start + limit]
    more = start + limit < len(tasks)
    return {"total": len(tasks), "tasks": page, "next_marker": page[-1]["task_id"] if more else ""}


def _task(row: dict[str, Any]) -> Result:
    return {
        "task_id": row["rotation_id"],
        "secret_name": row["secret_name"],
        "rotation_func_urn": "",
        "task_status": TASK_STATUS.get(row["status"], str(row["status"]).upper()),
        "operate_type": str(row["trigger_kind"]).upper(),
        "task_time": row["started_at"],
        "attempt_nums": 1,
        "task_error_code": row["error_code"] or "",
        "task_error_msg": row["error_message"] or "",
    }


def position_after(marker: str | None, ids: list[str], what: str) -> int:
    """The index just past ``marker`` in ``ids`` (0 without a marker). Raises InvalidArgument if absent."""
    if marker is None:
        return 0
    try:
        return ids.index(marker) + 1
    except ValueError:
        raise InvalidArgument(f"marker {marker!r} does not name a {what} in this list") from None


def generate_random_password(ctx: CallContext, f: Fields) -> Result:
    policy = f.str("password_policy_name", max_len=64)
    if policy not in (None, "default"):
        raise InvalidArgument(f"password_policy_name {policy!r} does not exist; Vigil has only 'default'")
    if f.bool("include_space"):
        raise InvalidArgument("include_space is not supported: Vigil's passwords never contain spaces")
    length = f.int("length", lo=MIN_PASSWORD_LENGTH, hi=MAX_PASSWORD_LENGTH) or DEFAULT_PASSWORD_LENGTH
    password = random_password(
        length,
        exclude_characters=f.str("exclude_characters", "", max_len=256) or "",
        exclude_lowercase=f.bool("exclude_lowercase"),
        exclude_uppercase=f.bool("exclude_uppercase"),
        exclude_numbers=f.bool("exclude_numbers"),
        exclude_punctuation=f.bool("exclude_punctuation"),
        require_each_included_type=f.bool("require_each_included_type", True),
        rng=ctx.services.rng,
    )
    return {"password": password}


# -- routes ----------------------------------------------------------------------------------


def secret_in_path(ctx: CallContext, f: Fields) -> str:
    return ctx.arn("secret", f.path_param("secret_name"), "csms")


def _secret_in_body(ctx: CallContext, f: Fields) -> str:
    return ctx.arn("secret", f.required("name", max_len=MAX_NAME), "csms")


def any_secret(ctx: CallContext, _: Fields) -> str:
    return ctx.arn("secret", "*", "csms")


def _task_secret(ctx: CallContext, f: Fields) -> str:
    return ctx.arn("secret", f.query_str("secret_name", max_len=MAX_NAME) or "*", "csms")


def op(name: str, handler: Any, rw: str, resource: Any, *, blocking: bool = True) -> Operation:
    return Operation("Csms", name, handler, rw, blocking, resource)


SECRET = "secrets/{secret_name}"

ROUTES = [
    Route("POST", "secrets", op("CreateSecret", create_secret, "Write", _secret_in_body)),
    Route("GET", "secrets", op("ListSecrets", list_secrets, "Read", any_secret)),
    Route("GET", SECRET, op("ShowSecret", show_secret, "Read", secret_in_path)),
    Route("PUT", SECRET, op("UpdateSecret", update_secret, "Write", secret_in_path)),
    Route("DELETE", SECRET, op("DeleteSecret", delete_secret, "Write", secret_in_path), 204),
    Route("POST", f"{SECRET}/rotate", op("RotateSecret", rotate_secret, "Write", secret_in_path)),
    Route(
        "POST",
        f"{SECRET}/scheduled-deleted-tasks/create",
        op("DeleteSecretForSchedule", delete_secret_for_schedule, "Write", secret_in_path),
    ),
    Route(
        "POST",
        f"{SECRET}/scheduled-deleted-tasks/cancel",
        op("RestoreSecret", restore_secret, "Write", secret_in_path),
    ),
    Route(
        "POST",
        "csms/generate-password",
        op("GenerateRandomPassword", generate_random_password, "Read", any_secret, blocking=False),
    ),
    Route("GET", "csms/tasks", op("ListSecretTask", list_secret_task, "Read", _task_secret)),
]
