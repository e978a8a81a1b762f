"""What the tests that drive an official Alibaba SDK against a local server share: the client's
configuration, and a mixin that keeps the raw JSON answer of the client's last call (for checks
of the wire shape the SDK's models would hide)."""

from __future__ import annotations

import copy
from typing import Any

from alibabacloud_tea_openapi.models import Config

from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer


def local_config(server: RunningServer, access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET) -> Config:
    """An SDK configuration pointed at ``server`` over plain HTTP (the SDK signs with ACS3)."""
    return Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=server.endpoint,
        protocol="http",
        region_id=REGION,
    )


class KeepsLastAnswer:
    """Mixed in before an official client class: ``last_raw`` is the JSON body of the last answer."""

    last_raw: dict[str, Any] | None = None

    def call_api(self, params: Any, request: Any, runtime: Any) -> Any:
        result = super().call_api(params, request, runtime)  # type: ignore[misc]
        self.last_raw = copy.deepcopy(result.get("body"))
        return result
