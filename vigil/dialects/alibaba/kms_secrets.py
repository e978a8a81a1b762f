"""KMS 2016-01-20 secret actions, and Vigil's secret-consumer and rotation-history actions.

Thin translations between POP parameters / response shapes (WIRE.md §3) and the secret
service. Secret values travel only in GetSecretValue-shaped answers, never in a message.
"""

from __future__ import annotations

import base64
from typing import Any

from vigil.clock import iso
from vigil.dialects.alibaba.kms_crypto import DryRunOperation
from vigil.dialects.alibaba.kms_keys import page, tags_param
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument, PermissionDenied, VigilError
from vigil.http.calls import CallContext, Operation
from vigil.http.errors import status_of
from vigil.secrets.model import (
    DataType,
    RotationUnsupported,
    Secret,
    SecretType,
    SecretValue,
    parse_data_type,
    parse_secret_type,
)
from vigil.secrets.service import NewSecret
from vigil.secrets.versions import CURRENT, format_interval, parse_rotation_interval

Result = dict[str, Any]

MAX_BATCH = 50
_FILTER_COLUMNS = {"SecretName": "secret_name_like", "SecretType": "secret_type"}


def secret_resource(ctx: CallContext, p: Params) -> str:
    """The ARN of the secret a SecretName parameter names."""
    return ctx.arn("secret", p.required("SecretName"))


def any_secret(ctx: CallContext, _: Params) -> str:
    return ctx.arn("secret", "*")


def _rotation(secret: Secret) -> str:
    return "Enabled" if secret.automatic_rotation else "Disabled"


def _stages(stages: tuple[str, ...] | list[str]) -> Result:
    return {"VersionStage": list(stages)}


def _tags(tags: dict[str, str]) -> Result:
    return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]}


def _secret_data(p: Params, data_type: DataType) -> bytes:
    """SecretData as bytes: UTF-8 text, or decoded base64 for binary secrets (never echoed)."""
    if data_type is DataType.BINARY:
        return p.base64("SecretData")
    return p.required("SecretData").encode("utf-8")


def _value(value: SecretValue, fetch_config: bool) -> Result:
    secret, version = value.secret, value.version
    data = base64.b64encode(value.data).decode() if version.data_type is DataType.BINARY else value.text()
    result: Result = {
        "SecretName": secret.name,
        "VersionId": version.version_id,
        "CreateTime": iso(version.created_at),
        "SecretData": data,
        "SecretDataType": version.data_type.value,
        "VersionStages": _stages(version.stages),
        "SecretType": secret.secret_type.value,
        "AutomaticRotation": _rotation(secret),
        "LastRotationDate": iso(secret.last_rotation_at),
        "NextRotationDate": iso(secret.next_rotation_at),
        "RotationInterval": format_interval(secret.rotation_interval_s),
    }
    if fetch_config:
        result["ExtendedConfig"] = secret.extended_config_json
    return result


def _interval(p: Params) -> int | None:
    text = p.str("RotationInterval")
    return None if text is None else parse_rotation_interval(text)


def _require_rotator(ctx: CallContext, kind: SecretType, config: dict[str, Any], name: str) -> None:
    """Raises RotationUnsupported when automatic rotation is asked for a secret nothing can rotate."""
    if ctx.services.rotations.rotator_for(kind, config) is None:
        raise RotationUnsupported(
            f"automatic rotation cannot be enabled for secret {name!r}: a {kind.value} secret is rotatable "
            "only as Rds, RAMCredentials, or Generic with ExtendedConfig.RotationWebhook"
        )


# -- create and read -------------------------------------------------------------------------


def create_secret(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    kind = parse_secret_type(p.str("SecretType"))
    data_type = parse_data_type(p.str("SecretDataType"))
    config = p.json_object("ExtendedConfig") or {}
    enabled = p.bool("EnableAutomaticRotation")
    if enabled:
        _require_rotator(ctx, kind, config, name)
    new = NewSecret(
        name,
        _secret_data(p, data_type),
        data_type,
        kind,
        p.str("Description", "", max_len=8192) or "",
        p.str("EncryptionKeyId"),
        p.str("VersionId", "v1"),
        config,
        enabled,
        _interval(p),
        tags_param(p),
        p.str("DKMSInstanceId"),
    )
    secret, version = ctx.services.secrets.create_secret(ctx.account_id, new)
    return {
        "Arn": ctx.arn("secret", secret.name),
        "AutomaticRotation": _rotation(secret),
        "DKMSInstanceId": secret.instance_id,
        "ExtendedConfig": secret.extended_config_json,
        "NextRotationDate": iso(secret.next_rotation_at),
        "RotationInterval": format_interval(secret.rotation_interval_s),
        "SecretName": secret.name,
        "SecretType": secret.secret_type.value,
        "VersionId": version.version_id,
    }


def get_secret_value(ctx: CallContext, p: Params) -> Result:
    if p.str("Recipient"):
        raise InvalidArgument("Recipient is not supported: Vigil has no enclave attestation")
    value = ctx.services.secrets.get_secret_value(
        ctx.account_id, p.required("SecretName"), p.str("VersionId"), p.str("VersionStage")
    )
    if p.bool("DryRun"):
        raise DryRunOperation("GetSecretValue would have succeeded; DryRun was set")
    return _value(value, p.bool("FetchExtendedConfig"))


def _batch_entries(p: Params) -> list[dict[str, Any]]:
    entries = p.json("SecretsList")
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) and isinstance(e.get("SecretName"), str) for e in entries)
    ):
        raise InvalidArgument(
            'SecretsList must be a non-empty JSON list like [{"SecretName":"db","VersionStage":"ACSCurrent"}]'
        )
    if len(entries) > MAX_BATCH:
        raise InvalidArgument(f"SecretsList names {len(entries)} secrets; the limit is {MAX_BATCH}")
    return entries


def _field(entry: dict[str, Any], name: str) -> str | None:
    value = entry.get(name)
    return None if value is None or value == "" else str(value)


def batch_get_secret_value(ctx: CallContext, p: Params) -> Result:
    """Each secret authorised and read on its own; a failure lands in Errors, not the whole call."""
    values: list[Result] = []
    errors: list[Result] = []
    denials: list[PermissionDenied] = []
    for entry in _batch_entries(p):
        name = entry["SecretName"]
        try:
            ctx.authorize(ctx.arn("secret", name))
            value = ctx.services.secrets.get_secret_value(
                ctx.account_id, name, _field(entry, "VersionId"), _field(entry, "VersionStage")
            )
        except VigilError as exc:
            if isinstance(exc, PermissionDenied):
                denials.append(exc)
            errors.append(
                {"SecretName": name, "Code": exc.code, "HttpStatus": status_of(exc), "Message": exc.message}
            )
            continue
        values.append(_value(value, (_field(entry, "FetchExtendedConfig") or "").lower() == "true"))
    if not ctx.authorized and denials:
        raise denials[0]
    return {"SecretValues": values, "Errors": errors}


def list_secret_version_ids(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    number, size = page(p)
    found = ctx.services.secrets.list_secret_versions(ctx.account_id, name, p.bool("IncludeDeprecated"))
    chunk = found[(number - 1) * size : number * size]
    items = [
        {"VersionId": v.version_id, "CreateTime": iso(v.created_at), "VersionStages": _stages(v.stages)}
        for v in chunk
    ]
    return {
        "SecretName": name,
        "VersionIds": {"VersionId": items},
        "PageNumber": number,
        "PageSize": size,
        "TotalCount": len(found),
    }


def describe_secret(ctx: CallContext, p: Params) -> Result:
    secret = ctx.services.secrets.describe_secret(ctx.account_id, p.required("SecretName"))
    result: Result = {
        "Arn": ctx.arn("secret", secret.name),
        "AutomaticRotation": _rotation(secret),
        "CreateTime": iso(secret.created_at),
        "DKMSInstanceId": secret.instance_id,
        "Description": secret.description,
        "EncryptionKeyId": secret.encryption_key_id,
        "ExtendedConfig": secret.extended_config_json,
        "LastRotationDate": iso(secret.last_rotation_at),
        "NextRotationDate": iso(secret.next_rotation_at),
        "OwingService": "",
        "PlannedDeleteTime": iso(secret.planned_delete_at),
        "RotationInterval": format_interval(secret.rotation_interval_s),
        "SecretName": secret.name,
        "SecretType": secret.secret_type.value,
        "UpdateTime": iso(secret.updated_at),
    }
    if p.bool("FetchTags"):
        result["Tags"] = _tags(ctx.services.secrets.secret_tags(ctx.account_id, secret.name))
    return result


def _secret_filters(p: Params) -> dict[str, list[str]]:
    raw = p.json("Filters")
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(f, dict) and isinstance(f.get("Values"), list) for f in raw
    ):
        raise InvalidArgument('Filters must be a JSON list like [{"Key":"SecretName","Values":["db"]}]')
    filters: dict[str, list[str]] = {}
    for f in raw:
        column = _FILTER_COLUMNS.get(str(f.get("Key")))
        if column is None:
            raise InvalidArgument(
                f"Filters Key {str(f.get('Key'))[:64]!r} is not supported; use {' or '.join(_FILTER_COLUMNS)}"
            )
        if f["Values"]:
            filters.setdefault(column, []).extend(str(v) for v in f["Values"])
    return filters


def list_secrets(ctx: CallContext, p: Params) -> Result:
    number, size = page(p)
    secrets, total = ctx.services.secrets.list_secrets(ctx.account_id, _secret_filters(p), number, size)
    fetch_tags = p.bool("FetchTags")
    items = []
    for s in secrets:
        item: Result = {
            "SecretName": s.name,
            "SecretType": s.secret_type.value,
            "CreateTime": iso(s.created_at),
            "UpdateTime": iso(s.updated_at),
            "PlannedDeleteTime": iso(s.planned_delete_at),
            "OwingService": "",
        }
        if fetch_tags:
            item["Tags"] = _tags(ctx.services.secrets.secret_tags(ctx.account_id, s.name))
        items.append(item)
    return {"SecretList": {"Secret": items}, "PageNumber": number, "PageSize": size, "TotalCount": total}


# -- change ----------------------------------------------------------------------------------


def put_secret_value(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    data_type = parse_data_type(p.str("SecretDataType"))
    stages = p.json("VersionStages")
    if stages is not None and (
        not isinstance(stages, list) or not stages or not all(isinstance(s, str) for s in stages)
    ):
        raise InvalidArgument('VersionStages must be a non-empty JSON list of stages, e.g. ["ACSCurrent"]')
    version = ctx.services.secrets.put_secret_value(
        ctx.account_id,
        name,
        _secret_data(p, data_type),
        data_type,
        p.required("VersionId"),
        stages or [CURRENT],
    )
    return {"SecretName": name, "VersionId": version.version_id, "VersionStages": _stages(version.stages)}


def update_secret_version_stage(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    ctx.services.secrets.update_secret_version_stage(
        ctx.account_id,
        name,
        p.required("VersionStage"),
        p.str("MoveToVersion"),
        p.str("RemoveFromVersion"),
    )
    return {"SecretName": name}


def _custom_data(p: Params) -> dict[str, Any] | None:
    """ExtendedConfig.CustomData.<k> as the SDK flattens it, or ExtendedConfig as one JSON string."""
    flat = p.object("ExtendedConfig")
    config = flat or p.json_object("ExtendedConfig")
    if config is None:
        return None
    custom = config.get("CustomData")
    if not isinstance(custom, dict):
        raise InvalidArgument(
            "ExtendedConfig must carry CustomData as an object, e.g. ExtendedConfig.CustomData.k=v"
        )
    return custom


def update_secret(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    description = p.raw.get("Description")
    if description is not None and len(description) > 8192:
        raise InvalidArgument("Description is too long: at most 8192 characters")
    ctx.services.secrets.update_secret(
        ctx.account_id, name, description=description, custom_data=_custom_data(p)
    )
    return {"SecretName": name}


def update_secret_rotation_policy(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    enabled = p.bool("EnableAutomaticRotation")
    if enabled:
        secret = ctx.services.secrets.describe_secret(ctx.account_id, name)
        _require_rotator(ctx, secret.secret_type, secret.extended_config, name)
    ctx.services.secrets.update_rotation_policy(ctx.account_id, name, enabled, _interval(p))
    return {"SecretName": name}


def rotate_secret(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    result = ctx.services.rotations.rotate_secret(ctx.account_id, name, "Manual", p.str("VersionId"))
    return {"Arn": ctx.arn("secret", name), "SecretName": name, "VersionId": result.version_id}


def delete_secret(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    force = p.bool("ForceDeleteWithoutRecovery")
    days = None if force else p.int("RecoveryWindowInDays", 30, lo=7, hi=30)
    secret = ctx.services.secrets.delete_secret(ctx.account_id, name, days, force)
    return {"SecretName": name, "PlannedDeleteTime": iso(secret.planned_delete_at)}


def restore_secret(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    ctx.services.secrets.restore_secret(ctx.account_id, name)
    return {"SecretName": name}


# -- Vigil: secret consumers and rotation history ----------------------------------------------


def put_secret_consumer(ctx: CallContext, p: Params) -> Result:
    name, consumer = p.required("SecretName"), p.required("ConsumerName")
    ctx.services.secrets.put_consumer(ctx.account_id, name, consumer, p.required("WebhookUrl", max_len=2048))
    return {"SecretName": name, "ConsumerName": consumer}


def list_secret_consumers(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    rows = ctx.services.secrets.list_consumers(ctx.account_id, name)
    items = [
        {
            "ConsumerName": r["consumer_name"],
            "WebhookUrl": r["webhook_url"],
            "CreateTime": iso(r["created_at"]),
        }
        for r in rows
    ]
    return {"SecretName": name, "Consumers": {"Consumer": items}}


def delete_secret_consumer(ctx: CallContext, p: Params) -> Result:
    ctx.services.secrets.delete_consumer(ctx.account_id, p.required("SecretName"), p.required("ConsumerName"))
    return {}


def list_secret_consumer_notices(ctx: CallContext, p: Params) -> Result:
    name = p.required("SecretName")
    rows = ctx.services.secrets.list_notices(ctx.account_id, name, p.int("Limit", 100, lo=1, hi=1000))
    items = [
        {
            "NoticeId": r["notice_id"],
            "ConsumerName": r["consumer_name"],
            "WebhookUrl": r["webhook_url"],
            "VersionId": r["version_id"],
            "Status": r["status"],
            "Attempts": int(r["attempts"]),
            "LastError": r["last_error"],
            "CreateTime": iso(r["created_at"]),
            "UpdateTime": iso(r["updated_at"]),
        }
        for r in rows
    ]
    return {"SecretName": name, "Notices": {"Notice": items}}


def _optional_secret(ctx: CallContext, p: Params) -> str:
    return ctx.arn("secret", p.str("SecretName") or "*")


def list_secret_rotations(ctx: CallContext, p: Params) -> Result:
    rows = ctx.services.secrets.rotation_history(
        ctx.account_id, p.str("SecretName"), p.int("Limit", 100, lo=1, hi=1000)
    )
    items = [
        {
            "RotationId": r["rotation_id"],
            "SecretName": r["secret_name"],
            "VersionId": r["version_id"],
            "Trigger": r["trigger_kind"],
            "Status": r["status"],
            "ErrorCode": r["error_code"],
            "ErrorMessage": r["error_message"],
            "StartTime": iso(r["started_at"]),
            "FinishTime": iso(r["finished_at"]),
        }
        for r in rows
    ]
    return {"Rotations": {"Rotation": items}}


def _op(
    name: str, handler: Any, rw: str, resource: Any = secret_resource, *, blocking: bool = True
) -> Operation:
    return Operation("Kms", name, handler, rw, blocking, resource)


OPERATIONS = [
    _op("CreateSecret", create_secret, "Write"),
    # Served from the secret cache on the event loop; a cold miss reads the database, as Encrypt does.
    _op("GetSecretValue", get_secret_value, "Read", blocking=False),
    _op("BatchGetSecretValue", batch_get_secret_value, "Read", None, blocking=False),
    _op("PutSecretValue", put_secret_value, "Write"),
    _op("ListSecretVersionIds", list_secret_version_ids, "Read"),
    _op("UpdateSecretVersionStage", update_secret_version_stage, "Write"),
    _op("DescribeSecret", describe_secret, "Read"),
    _op("ListSecrets", list_secrets, "Read", any_secret),
    _op("UpdateSecret", update_secret, "Write"),
    _op("UpdateSecretRotationPolicy", update_secret_rotation_policy, "Write"),
    _op("RotateSecret", rotate_secret, "Write"),
    _op("DeleteSecret", delete_secret, "Write"),
    _op("RestoreSecret", restore_secret, "Write"),
]

VIGIL_OPERATIONS = [
    Operation("Vigil", "PutSecretConsumer", put_secret_consumer, "Write", True, secret_resource),
    Operation("Vigil", "ListSecretConsumers", list_secret_consumers, "Read", True, secret_resource),
    Operation("Vigil", "DeleteSecretConsumer", delete_secret_consumer, "Write", True, secret_resource),
    Operation(
        "Vigil", "ListSecretConsumerNotices", list_secret_consumer_notices, "Read", True, secret_resource
    ),
    Operation("Vigil", "ListSecretRotations", list_secret_rotations, "Read", True, _optional_secret),
]
