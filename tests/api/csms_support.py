"""Helpers for the Huawei CSMS API tests: the official client, signed raw requests, and a shape checker.

The shape checker compares a raw response body with the SDK's own model table
(``models_huaweicloudsdkcsms.json``): every key the model names is present, no other key is,
and every non-null value has the model's type, recursively.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkcsms.v1 import CsmsClient

from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer

Models = dict[str, list[list[str]]]
_MODELS_FILE = Path("shared/reference/wire/tables/models_huaweicloudsdkcsms.json")
_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool}
_LIST = re.compile(r"^list\[(.+)\]$")


def project_id(server: RunningServer) -> str:
    return server.app.bootstrap.account.project_id


def csms_client(
    server: RunningServer, ak: str = ROOT_AK, sk: str = ROOT_SECRET, project: str | None = None
) -> CsmsClient:
    """The unmodified huaweicloudsdkcsms client, signed with BasicCredentials, pointed at ``server``."""
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    credentials = BasicCredentials(ak, sk, project or project_id(server))
    return (
        CsmsClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoint(server.url)
        .build()
    )


def fails(call: Callable[[], Any]) -> ClientRequestException:
    """The ClientRequestException a call raises (any other outcome fails the test)."""
    try:
        call()
    except ClientRequestException as exc:
        return exc
    raise AssertionError("the call succeeded but was expected to fail")


def signed_request(
    server: RunningServer,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    project: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A raw request signed like the SDK signs it, for shapes the SDK itself never sends."""
    header_params = {
        "Content-Type": "application/json",
        "X-Project-Id": project or project_id(server),
        **(headers or {}),
    }
    request = SdkRequest(
        method=method,
        schema="http",
        host=server.endpoint,
        resource_path=path,
        query_params=[],
        header_params=header_params,
        body=body,
    )
    Signer(BasicCredentials(ROOT_AK, ROOT_SECRET, project_id(server))).sign(request)
    return httpx.request(method, server.url + request.uri, headers=request.header_params, content=body)


def raw_json(response: Any) -> Any:
    """The body the server actually sent with an SDK response."""
    return json.loads(response.raw_content)


def _find_models_file(start: Path) -> Path:
    for directory in (start, *start.parents):
        candidate = directory / _MODELS_FILE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{_MODELS_FILE} not found in any parent directory of {start}")


@cache
def sdk_models() -> Models:
    table: Models = json.loads(_find_models_file(Path(__file__).resolve().parent).read_text("utf-8"))
    return table


def shape_faults(value: Any, type_name: str, path: str = "$") -> list[str]:
    """Every way ``value`` (decoded JSON) differs from the SDK type ``type_name``; empty when it fits."""
    if value is None:
        return []
    if type_name in _SCALARS:
        kind = _SCALARS[type_name]
        fits = isinstance(value, kind) and (kind is bool) == isinstance(value, bool)
        return [] if fits else [f"{path}: {type(value).__name__} {value!r:.40} is not {type_name}"]
    if element := _LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where the SDK expects {type_name}"]
        return [f for i, item in enumerate(value) for f in shape_faults(item, element[1], f"{path}[{i}]")]
    fields = {wire: kind for _, wire, kind in sdk_models()[type_name]}
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where the SDK expects the model {type_name}"]
    faults = [f"{path}.{k}: not in the model {type_name}" for k in value.keys() - fields.keys()]
    faults += [f"{path}.{k}: missing (the model {type_name} has it)" for k in fields.keys() - value.keys()]
    for key, kind in fields.items():
        faults += shape_faults(value.get(key), kind, f"{path}.{key}")
    return faults


def assert_shape(response: Any) -> Any:
    """Check an SDK response's raw body against its model; returns the decoded body."""
    body = raw_json(response)
    faults = shape_faults(body, type(response).__name__)
    assert not faults, "\n".join(faults)
    return body
