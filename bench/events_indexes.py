"""The index change this benchmark proposes for system_events (migration 0006), applied to a store as a
migration would apply it, so the benchmark can measure it as a what-if.

- Each filter index ends in ``seq``, so an index scan yields rows already in the ORDER BY of
  ``store.page`` (time_ms DESC, seq DESC) and the LIMIT stops it early. SQLite's indexes carry the
  rowid (= seq) already; PostgreSQL's do not, and without statistics it then sorts every matching row.
- ``(account_id, seq)`` serves the live stream's tail (``store.after``), which otherwise walks the
  whole account through system_events_time on both engines.
- ``(time_ms)`` serves the retention job (``store.delete_before``), whose filter has no account_id
  and which otherwise scans the table every job interval.
"""

from __future__ import annotations

from vigil.storage.engine import Database
from vigil.storage.migrations import migration_files

EVENTS_MIGRATION = "0006_events"

PROPOSED: tuple[tuple[str, str], ...] = (
    ("system_events_time", "(account_id, time_ms, seq)"),
    ("system_events_product", "(account_id, product_key, time_ms, seq)"),
    ("system_events_name", "(account_id, name, time_ms, seq)"),
    ("system_events_level", "(account_id, level, time_ms, seq)"),
    ("system_events_tail", "(account_id, seq)"),
    ("system_events_expiry", "(time_ms)"),
)
"""(index name, columns) on system_events; the first four replace the indexes of the same name."""


def proposed_ddl() -> list[str]:
    """The statements of the proposed migration."""
    statements = []
    for name, columns in PROPOSED:
        statements.append(f"DROP INDEX IF EXISTS {name}")
        statements.append(f"CREATE INDEX {name} ON system_events {columns}")
    return statements


def apply_proposed_indexes(db: Database) -> None:
    """Apply the proposed migration. On PostgreSQL, the table's row estimate in pg_class (which
    CREATE INDEX refreshes) is put back, so the planner knows no more than it did before."""
    with db.transaction() as tx:
        estimate = None
        if db.dialect == "postgresql":
            row = tx.one("SELECT reltuples FROM pg_class WHERE oid = 'system_events'::regclass")
            estimate = None if row is None else row["reltuples"]
        for statement in proposed_ddl():
            tx.execute(statement)
        if estimate is not None:
            tx.execute("UPDATE pg_class SET reltuples = ? WHERE oid = 'system_events'::regclass", (estimate,))


def shipped_ddl() -> list[str]:
    """The CREATE INDEX statements of system_events in the migration as shipped."""
    sql = dict(migration_files())[EVENTS_MIGRATION]
    return [line.rstrip(";") for line in sql.splitlines() if line.startswith("CREATE INDEX system_events_")]


def restore_shipped_indexes(db: Database) -> None:
    """Undo the proposed migration: drop its indexes and create the shipped ones again."""
    with db.transaction() as tx:
        for name, _ in PROPOSED:
            tx.execute(f"DROP INDEX IF EXISTS {name}")
        for statement in shipped_ddl():
            tx.execute(statement)


def analyze(db: Database) -> None:
    """What autovacuum does on its own when it is on (PostgreSQL's default): gather statistics."""
    with db.transaction() as tx:
        tx.execute("ANALYZE system_events")
