"""Helpers for the CloudMonitor (CMS 2019-01-01) event tests: the official client that keeps the raw
answer of its last call, a strict shape checker against the SDK's model table, and seed-shape checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_cms20190101 import models as cms
from alibabacloud_cms20190101.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.api.sdk_support import KeepsLastAnswer, local_config
from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer
from vigil.events.catalog import CATALOG

Models = dict[str, list[list[str]]]
_MODELS_FILE = Path("shared/reference/wire/tables/models_alibabacloud_cms20190101.json")
_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool}
_LIST = re.compile(r"^List\[(.+)\]$")


class RecordingCms(KeepsLastAnswer, Client):  # type: ignore[misc]
    """The official CMS client, keeping the raw JSON answer of its last call."""


def cms_client(
    server: RunningServer, access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET
) -> RecordingCms:
    """The unmodified alibabacloud-cms20190101 client (ACS3 signing) pointed at ``server``."""
    return RecordingCms(local_config(server, access_key_id, secret))


@cache
def sdk_models() -> Models:
    for directory in Path(__file__).resolve().parents:
        candidate = directory / _MODELS_FILE
        if candidate.is_file():
            table: Models = json.loads(candidate.read_text(encoding="utf-8"))
            return table
    raise FileNotFoundError(f"{_MODELS_FILE} not found above {Path(__file__).parent}")


def shape_faults(value: Any, type_name: str, path: str = "$") -> list[str]:
    """Every way ``value`` differs from the SDK type: a missing or extra key, or a scalar of the wrong
    JSON type (a bool is not an int, the string "true" is not a bool); empty when it fits exactly.
    """
    if type_name in _SCALARS:
        kind = _SCALARS[type_name]
        fits = isinstance(value, kind) and (kind is bool) == isinstance(value, bool)
        return [] if fits else [f"{path}: {type(value).__name__} {value!r:.40} is not {type_name}"]
    if element := _LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where the SDK expects {type_name}"]
        return [f for i, item in enumerate(value) for f in shape_faults(item, element[1], f"{path}[{i}]")]
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where the SDK expects the object {type_name}"]
    fields = {wire: kind for wire, _, kind in sdk_models()[type_name]}
    faults = [f"{path}.{k}: not a field of {type_name}" for k in sorted(value.keys() - fields.keys())]
    faults += [f"{path}.{k}: missing" for k in sorted(fields.keys() - value.keys())]
    for key in fields.keys() & value.keys():
        faults += shape_faults(value[key], fields[key], f"{path}.{key}")
    return faults


def assert_shape(client: RecordingCms, body_model: str) -> dict[str, Any]:
    """Check the raw answer of the client's last call against ``body_model``; returns it."""
    raw = client.last_raw
    assert raw is not None
    faults = shape_faults(raw, body_model)
    assert not faults, "\n".join(faults)
    return raw


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def invalid(call: Callable[[], Any], *words: str) -> str:
    """The message of the InvalidParameter (400) error the call must raise; it names ``words``."""
    error = fails(call)
    assert (error.status_code, error.code) == (400, "InvalidParameter"), error.message
    message = str(error.data["Message"])
    for word in words:
        assert word in message, message
    return message


def search(client: Client, **filters: Any) -> list[Any]:
    """DescribeSystemEventAttribute's items for these filters (the SDK's request field names)."""
    request = cms.DescribeSystemEventAttributeRequest(**filters)
    body = client.describe_system_event_attribute(request).body
    assert body.success == "true"
    return list(body.system_events.system_event)


def names(items: list[Any]) -> list[str]:
    return [item.name for item in items]


def assert_seed_shape(item: Any, account_id: str) -> dict[str, Any]:
    """A SystemEvent item matches its catalog entry and the seed's payload field for field; returns
    its parsed Content."""
    spec = CATALOG[item.name]
    assert (item.product, item.level, item.status) == (spec.product, spec.level.value, spec.status)
    assert isinstance(item.time, int) and item.time > 10**12
    assert item.region_id == REGION
    content = json.loads(item.content)
    assert isinstance(content, dict)
    expected = [*([spec.event_id_key] if spec.event_id_key else []), *spec.content_fields]
    assert sorted(content) == sorted(expected), f"{item.name}: {sorted(content)} != {sorted(expected)}"
    assert sorted(content) == sorted(spec.example["content"]), "the seed example has the same fields"
    if spec.product == "KMS":
        assert item.resource_id.startswith(f"acs:kms:{REGION}:{account_id}:")
        assert item.resource_id.endswith(f"/{item.instance_name}")
        event_id = content[spec.event_id_key or "eventId"]
        assert re.fullmatch(rf"{account_id}:{re.escape(item.instance_name)}:\d{{10}}", event_id), event_id
    return content
