"""The seeded audit trail, opened once per backend and module for the read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PostgresDatabases
from tests.service.audit.audit_seeds import Seeded, open_seeded
from vigil.storage.engine import Database, PostgresDatabase, SqliteDatabase


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_databases: PostgresDatabases
) -> Iterator[Seeded]:
    """The seeded trail on one backend, shared by a module's read-only tests."""
    if request.param == "sqlite":
        db: Database = SqliteDatabase(tmp_path_factory.mktemp("audit") / "audit.db")
    else:
        db = PostgresDatabase(pg_databases.create())
    found = open_seeded(db)
    yield found
    found.db.close()
