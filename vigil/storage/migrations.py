"""Apply the numbered SQL files in ``migrations/`` once, in order, on either engine."""

from __future__ import annotations

import time
from importlib import resources

from vigil.storage.engine import Database, Tx

_ADVISORY_LOCK = 0x7669_6769  # "vigi": two PostgreSQL nodes starting together migrate once


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) pairs sorted by version."""
    folder = resources.files("vigil.storage") / "migrations"
    found = [
        (p.name.removesuffix(".sql"), p.read_text()) for p in folder.iterdir() if p.name.endswith(".sql")
    ]
    return sorted(found)


def migrate(db: Database) -> list[str]:
    """Bring the schema up to date; returns the versions applied now."""
    applied: list[str] = []
    with db.transaction() as tx:
        if db.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_ADVISORY_LOCK,))
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)"
        )
        done = {r["version"] for r in tx.all("SELECT version FROM schema_migrations")}
        for version, sql in migration_files():
            if version not in done:
                _apply(tx, version, sql)
                applied.append(version)
    return applied


def _apply(tx: Tx, version: str, sql: str) -> None:
    for statement in _statements(sql):
        tx.execute(statement)
    tx.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
        (version, time.time_ns() // 10**6),
    )


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
