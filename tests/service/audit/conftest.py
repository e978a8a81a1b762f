"""The seeded audit trail, opened once per backend and module for the read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PostgresDatabases
from tests.service.audit.audit_seeds import Seeded, open_seeded


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_databases: PostgresDatabases
) -> Iterator[Seeded]:
    """The seeded trail on one backend, shared by a module's read-only tests."""
    backend = str(request.param)
    url = pg_databases.create() if backend == "postgresql" else None
    found = open_seeded(backend, tmp_path_factory.mktemp("audit"), url)
    yield found
    found.db.close()
