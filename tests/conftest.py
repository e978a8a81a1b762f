"""Shared fixtures: storage backends (SQLite file and real PostgreSQL) and a real Vigil server.

Every storage and API test runs on both backends. When PostgreSQL is unreachable the
session says so loudly and only the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from vigil.app import App, build
from vigil.client import VigilClient
from vigil.settings import Secret, Settings
from vigil.storage.engine import Database, PostgresDatabase, SqliteDatabase
from vigil.storage.migrations import migrate
from vigil.testing import ServerThread

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
ROOT_AK = "LTAI5tVIGILTESTROOTKEY01"
ROOT_SECRET = "VigilTestRootSecret0123456789abc"
REGION = "cn-hangzhou"
BACKENDS = ["sqlite", "postgresql"]

_pg_state: dict[str, Any] = {}

SEED_PAYLOAD_KEYS = frozenset(
    {"id", "product", "resourceId", "level", "instanceName", "regionId", "name", "userId", "groupId", "status",
     "time", "content"}
)  # fmt: skip
"""The top-level fields of a system event as the seeds deliver it (the notification JSON)."""


def postgres_available() -> bool:
    if "ok" not in _pg_state:
        try:
            with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
                _pg_state["ok"] = True
        except psycopg.Error as exc:
            _pg_state["ok"] = False
            _pg_state["why"] = str(exc).splitlines()[0]
    return bool(_pg_state["ok"])


def pytest_sessionstart(session: pytest.Session) -> None:
    if not postgres_available():
        banner = "!" * 78
        print(
            f"\n{banner}\n!! PostgreSQL at 127.0.0.1:5432 is UNREACHABLE ({_pg_state.get('why')}).\n"
            f"!! Every PostgreSQL variant of the storage and API tests will be SKIPPED.\n{banner}"
        )


class PostgresDatabases:
    """Creates throw-away databases on the machine's PostgreSQL and drops them afterwards."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def create(self) -> str:
        if not postgres_available():
            pytest.skip(f"PostgreSQL unreachable: {_pg_state.get('why')}")
        name = f"vigil_t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"postgresql://postgres@127.0.0.1:5432/{name}"

    def drop_all(self) -> None:
        if not self.created:
            return
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(backend: str, tmp_path: Path, pg_databases: PostgresDatabases) -> Iterator[Database]:
    """A freshly migrated database on the requested backend."""
    db: Database
    if backend == "sqlite":
        db = SqliteDatabase(tmp_path / "vigil.db")
    else:
        db = PostgresDatabase(pg_databases.create())
    migrate(db)
    yield db
    db.close()


@dataclass(slots=True)
class RunningServer:
    app: App
    thread: ServerThread
    data_dir: Path
    backend: str
    clients: dict[tuple[str, str], VigilClient] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.thread.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def account_id(self) -> str:
        return self.app.bootstrap.account.account_id

    def kms(self, access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET, **config: Any) -> Any:
        """The official alibabacloud-kms20160120 client pointed at this server."""
        from alibabacloud_kms20160120.client import Client
        from alibabacloud_tea_openapi.models import Config

        return Client(
            Config(
                access_key_id=access_key_id,
                access_key_secret=secret,
                endpoint=self.endpoint,
                protocol="http",
                region_id=REGION,
                **config,
            )
        )

    def client(self, access_key_id: str = ROOT_AK, secret: str = ROOT_SECRET) -> VigilClient:
        """A Vigil client for these credentials, closed when the server stops."""
        key = (access_key_id, secret)
        if key not in self.clients:
            self.clients[key] = VigilClient(self.url, access_key_id, secret)
        return self.clients[key]

    def advance(self, seconds: int) -> dict[str, Any]:
        return self.client().vigil("AdvanceClock", {"Seconds": seconds})

    def stop(self) -> None:
        for client in self.clients.values():
            client.close()
        self.thread.stop()
        self.app.close()


ServerFactory = Callable[..., RunningServer]


@pytest.fixture
def start_server(backend: str, tmp_path: Path, pg_databases: PostgresDatabases) -> Iterator[ServerFactory]:
    """Start real Vigil servers (uvicorn on a free loopback port) on the test's backend."""
    running: list[RunningServer] = []
    urls: dict[str, str] = {}

    def start(*, test_clock: bool = True, data_dir: Path | None = None, **overrides: Any) -> RunningServer:
        directory = data_dir or tmp_path / f"data{len(running)}"
        url = None
        if backend == "postgresql":
            url = urls.setdefault(str(directory), pg_databases.create())
        settings = Settings(
            data_dir=directory,
            database_url=Secret(url) if url else None,
            root_access_key_id=ROOT_AK,
            root_access_key_secret=Secret(ROOT_SECRET),
            region=REGION,
            test_clock=test_clock,
            job_interval_seconds=3600,
            **overrides,
        )
        app = build(settings, start_jobs=False, start_alerting=True)
        server = RunningServer(app, ServerThread.start(app.asgi), directory, backend)
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.fixture
def server(start_server: ServerFactory) -> RunningServer:
    """One running server with the test clock enabled."""
    return start_server()


@pytest.fixture
def kms(server: RunningServer) -> Any:
    return server.kms()


warnings.filterwarnings("ignore", category=DeprecationWarning, module="alibabacloud_.*")
