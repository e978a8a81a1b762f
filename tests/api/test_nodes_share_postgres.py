"""Two Vigil nodes on one PostgreSQL database act as one service."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, PostgresDatabases, RunningServer
from vigil.app import build
from vigil.client import VigilApiError
from vigil.settings import Secret, Settings
from vigil.testing import ServerThread


def _node(tmp_path: Path, name: str, url: str, root_key: Path | None) -> RunningServer:
    settings = Settings(
        data_dir=tmp_path / name,
        database_url=Secret(url),
        root_access_key_id=ROOT_AK,
        root_access_key_secret=Secret(ROOT_SECRET),
        region=REGION,
        root_key_file=root_key,
        cache_ttl_seconds=0.2,
        job_interval_seconds=3600,
    )
    app = build(settings, start_jobs=False)
    return RunningServer(app, ServerThread.start(app.asgi), tmp_path / name, "postgresql")


@pytest.fixture
def two_nodes(tmp_path: Path, pg_databases: PostgresDatabases):  # type: ignore[no-untyped-def]
    url = pg_databases.create()
    first = _node(tmp_path, "a", url, None)
    second = _node(tmp_path, "b", url, tmp_path / "a" / "root.key")
    yield first, second
    second.stop()
    first.stop()


def test_a_key_made_on_one_node_works_on_the_other(two_nodes: tuple[RunningServer, RunningServer]) -> None:
    a, b = two_nodes
    assert a.app.bootstrap.account == b.app.bootstrap.account
    key = a.client().call("CreateKey", {})["KeyMetadata"]["KeyId"]
    blob = a.client().call("Encrypt", {"KeyId": key, "Plaintext": "shared"})["CiphertextBlob"]
    assert b.client().call("Decrypt", {"CiphertextBlob": blob})["Plaintext"] == "shared"


def test_a_disable_on_one_node_is_seen_by_the_other_within_the_cache_ttl(
    two_nodes: tuple[RunningServer, RunningServer],
) -> None:
    a, b = two_nodes
    key = a.client().call("CreateKey", {})["KeyMetadata"]["KeyId"]
    b.client().call("Encrypt", {"KeyId": key, "Plaintext": "warm the cache"})
    a.client().call("DisableKey", {"KeyId": key})
    time.sleep(0.3)
    with pytest.raises(VigilApiError) as err:
        b.client().call("Encrypt", {"KeyId": key, "Plaintext": "x"})
    assert err.value.code == "Rejected.Disabled"


def test_a_node_with_another_root_key_refuses_to_start(
    tmp_path: Path, pg_databases: PostgresDatabases
) -> None:
    url = pg_databases.create()
    first = _node(tmp_path, "a", url, None)
    try:
        with pytest.raises(Exception, match="root key"):
            _node(tmp_path, "c", url, None)
    finally:
        first.stop()
