"""Huawei Cloud CSMS v1 secret versions and version stages, over the shared secret store.

CSMS's SYSCURRENT, SYSPREVIOUS and SYSPENDING are the store's ACSCurrent, ACSPrevious and ACSPending,
so a version labelled through one dialect is labelled through the other; other stage names pass
through unchanged. ``latest`` names the SYSCURRENT version.
"""

from __future__ import annotations

import base64
from typing import Any

from vigil.dialects.huawei.csms import (
    DEFAULT_PAGE,
    MAX_PAGE,
    op,
    page_info,
    position_after,
    secret_in_path,
    secret_value,
)
from vigil.dialects.huawei.errors import SystemStage
from vigil.dialects.huawei.rest import Fields, Route
from vigil.errors import InvalidArgument
from vigil.http.calls import CallContext
from vigil.secrets import versions
from vigil.secrets.model import DataType, SecretValue, SecretVersion, SecretVersionNotFound

Result = dict[str, Any]

LATEST = "latest"
STORE_STAGES = {
    "SYSCURRENT": versions.CURRENT,
    "SYSPREVIOUS": versions.PREVIOUS,
    "SYSPENDING": versions.PENDING,
}
CSMS_STAGES = {store: csms for csms, store in STORE_STAGES.items()}
MAX_STAGES = 12
_SECONDS_BELOW = 10**11
"""An ``expire_time`` below this is read as seconds (10**11 ms is 1973; 10**11 s is the year 5138)."""


def store_stage(name: str) -> str:
    return STORE_STAGES.get(name) or versions.check_stage(name)


def csms_stage(name: str) -> str:
    return CSMS_STAGES.get(name, name)


def version_metadata(secret_name: str, v: SecretVersion) -> Result:
    return {
        "id": v.version_id,
        "create_time": v.created_at,
        "expire_time": v.expire_at,
        "kms_key_id": v.key_id,
        "secret_name": secret_name,
        "version_stages": sorted(csms_stage(s) for s in v.stages),
    }


def _expire_at(f: Fields) -> int | None:
    value = f.int("expire_time", lo=1, hi=10**15)
    if value is None:
        return None
    return value * 1000 if value < _SECONDS_BELOW else value


# -- versions --------------------------------------------------------------------------------


def create_secret_version(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    data, data_type = secret_value(f)
    stages = f.str_list("version_stages", max_items=MAX_STAGES)
    version = ctx.services.secrets.put_secret_value(
        ctx.account_id,
        name,
        data,
        data_type,
        stages=[store_stage(s) for s in stages] if stages else None,
        expire_at=_expire_at(f),
    )
    return {"version_metadata": version_metadata(name, version)}


def list_secret_versions(ctx: CallContext, f: Fields) -> Result:
    """Versions oldest first; ``marker`` is the last version id of the previous page."""
    name = f.path_param("secret_name")
    limit = f.query_int("limit", DEFAULT_PAGE, lo=1, hi=MAX_PAGE)
    marker = f.query_str("marker", max_len=64)
    found = ctx.services.secrets.list_secret_versions(ctx.account_id, name)
    start = position_after(marker, [v.version_id for v in found], "version of this secret")
    page = found[start : start + limit]
    next_marker = page[-1].version_id if start + limit < len(found) else ""
    return {
        "version_metadatas": [version_metadata(name, v) for v in page],
        "page_info": page_info(next_marker, marker, len(page)),
    }


def show_secret_version(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    version_id = f.path_param("version_id")
    secrets = ctx.services.secrets
    if version_id == LATEST:
        value = secrets.get_secret_value(ctx.account_id, name, stage=versions.CURRENT)
    else:
        value = secrets.get_secret_value(ctx.account_id, name, version_id=version_id)
    return {"version": _version(name, value)}


def _version(name: str, value: SecretValue) -> Result:
    binary = value.version.data_type is DataType.BINARY
    return {
        "version_metadata": version_metadata(name, value.version),
        "secret_string": None if binary else value.text(),
        "secret_binary": base64.b64encode(value.data).decode() if binary else None,
    }


def update_version(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    expire_at = _expire_at(f)
    if expire_at is None:
        raise InvalidArgument("expire_time is mandatory for UpdateVersion")
    version = ctx.services.secrets.set_version_expiry(
        ctx.account_id, name, f.path_param("version_id"), expire_at
    )
    return {"version_metadata": version_metadata(name, version)}


# -- stages ----------------------------------------------------------------------------------


def show_secret_stage(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    stage = store_stage(f.path_param("stage_name"))
    version_id = _holder(ctx, name, stage)
    return {"stage": _stage(ctx, name, stage, version_id)}


def update_secret_stage(ctx: CallContext, f: Fields) -> Result:
    """Move a stage to ``version_id``; a moved SYSCURRENT leaves SYSPREVIOUS on the version it left."""
    name = f.path_param("secret_name")
    stage = store_stage(f.path_param("stage_name"))
    version_id = f.required("version_id", max_len=64)
    holder = ctx.services.secrets.stages(ctx.account_id, name).get(stage)
    remove_from = holder if holder not in (None, version_id) else None
    ctx.services.secrets.update_secret_version_stage(ctx.account_id, name, stage, version_id, remove_from)
    return {"stage": _stage(ctx, name, stage, version_id)}


def delete_secret_stage(ctx: CallContext, f: Fields) -> Result:
    name = f.path_param("secret_name")
    stage = store_stage(f.path_param("stage_name"))
    if stage in (versions.CURRENT, versions.PREVIOUS):
        raise SystemStage(f"{csms_stage(stage)} is a system stage: it can be moved but not deleted")
    holder = _holder(ctx, name, stage)
    ctx.services.secrets.update_secret_version_stage(ctx.account_id, name, stage, None, holder)
    return {}


def _holder(ctx: CallContext, name: str, stage: str) -> str:
    version_id = ctx.services.secrets.stages(ctx.account_id, name).get(stage)
    if version_id is None:
        raise SecretVersionNotFound(f"secret {name!r} has no version in stage {csms_stage(stage)}")
    return version_id


def _stage(ctx: CallContext, name: str, stage: str, version_id: str) -> Result:
    return {
        "name": csms_stage(stage),
        "update_time": ctx.services.secrets.stage_updated_at(ctx.account_id, name, stage),
        "secret_name": name,
        "version_id": version_id,
    }


VERSION = "secrets/{secret_name}/versions/{version_id}"
STAGE = "secrets/{secret_name}/stages/{stage_name}"

ROUTES = [
    Route(
        "POST",
        "secrets/{secret_name}/versions",
        op("CreateSecretVersion", create_secret_version, "Write", secret_in_path),
    ),
    Route(
        "GET",
        "secrets/{secret_name}/versions",
        op("ListSecretVersions", list_secret_versions, "Read", secret_in_path),
    ),
    Route("GET", VERSION, op("ShowSecretVersion", show_secret_version, "Read", secret_in_path)),
    Route("PUT", VERSION, op("UpdateVersion", update_version, "Write", secret_in_path)),
    Route("GET", STAGE, op("ShowSecretStage", show_secret_stage, "Read", secret_in_path)),
    Route("PUT", STAGE, op("UpdateSecretStage", update_secret_stage, "Write", secret_in_path)),
    Route("DELETE", STAGE, op("DeleteSecretStage", delete_secret_stage, "Write", secret_in_path), 204),
]
