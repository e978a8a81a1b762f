"""The unmodified alibabacloud-secretsmanager-client-v2 caching client reads secrets from Vigil."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_secretsmanager_client_v2.secret_manager_cache_client_builder import (
    SecretManagerCacheClientBuilder,
)
from alibabacloud_secretsmanager_client_v2.service.default_secret_manager_client_builder import (
    DefaultSecretManagerClientBuilder,
)
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer


@pytest.fixture
def cache_client(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The caching client built as WIRE.md §6 describes, its refresh scheduler shut down afterwards."""
    for name in ("cache_client_region_id", "credentials_type", "credentials_access_key_id"):
        monkeypatch.delenv(name, raising=False)  # the client also reads its regions from the environment
    config = Config(
        endpoint=server.endpoint,
        protocol="http",
        access_key_id=ROOT_AK,
        access_key_secret=ROOT_SECRET,
        region_id=REGION,
    )
    secret_client = DefaultSecretManagerClientBuilder.standard().add_config(config).build()
    client = SecretManagerCacheClientBuilder.new_cache_client_builder(secret_client).build()
    yield client
    client.close()


def test_the_caching_client_reads_a_text_secret_with_its_metadata(kms: Any, cache_client: Any) -> None:
    value = json.dumps({"AccountName": "app", "AccountPassword": "p@ss w+rd/="})
    kms.create_secret(
        models.CreateSecretRequest(
            secret_name="app/db",
            secret_data=value,
            version_id="v1",
            extended_config={"CustomData": {"a": "b"}},
        )
    )
    assert cache_client.get_secret_value("app/db") == value
    info = cache_client.get_secret_info("app/db")
    assert (info.secret_name, info.version_id, info.secret_data_type, info.secret_type) == (
        "app/db",
        "v1",
        "text",
        "Generic",
    )
    assert json.loads(info.extended_config) == {"CustomData": {"a": "b"}}
    assert info.automatic_rotation == "Disabled"


def test_the_caching_client_serves_from_its_cache_until_refreshed(kms: Any, cache_client: Any) -> None:
    kms.create_secret(models.CreateSecretRequest(secret_name="cached", secret_data="old", version_id="v1"))
    assert cache_client.get_secret_value("cached") == "old"
    kms.put_secret_value(
        models.PutSecretValueRequest(secret_name="cached", secret_data="new", version_id="v2")
    )
    assert cache_client.get_secret_value("cached") == "old"
    assert cache_client.refresh_now("cached") is True
    assert cache_client.get_secret_value("cached") == "new"
    assert cache_client.get_secret_info("cached").version_id == "v2"


def test_the_caching_client_reads_a_binary_secret_as_its_base64_text(kms: Any, cache_client: Any) -> None:
    raw = b"\x00\x01binary\xff"
    encoded = base64.b64encode(raw).decode()
    kms.create_secret(
        models.CreateSecretRequest(
            secret_name="tls/key", secret_data=encoded, secret_data_type="binary", version_id="v1"
        )
    )
    # get_binary_value() wraps these same fields, but with bytebuffer 0.1.2 (the client's dependency)
    # it crashes inside ByteBuffer.wrap(bytes), before and independently of anything the server says.
    info = cache_client.get_secret_info("tls/key")
    assert (info.secret_data_type, info.version_id) == ("binary", "v1")
    assert base64.b64decode(info.secret_value) == raw
    with pytest.raises(ValueError, match="do not support text value"):
        cache_client.get_secret_value("tls/key")


def test_the_caching_client_raises_the_not_found_code_for_an_unknown_secret(cache_client: Any) -> None:
    with pytest.raises(TeaException) as info:
        cache_client.get_secret_value("ghost")
    assert info.value.code == "Forbidden.ResourceNotFound"
