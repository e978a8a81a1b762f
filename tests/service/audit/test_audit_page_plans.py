"""Every LookupEvents page, the first and the ones after a NextToken, is read through the index of
its attribute on SQLite (the planner once chose the trail's index for a continued page, when
the cursor was a row-value comparison, and a rare EventName's second page took ten times longer)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vigil.audit import store
from vigil.audit.model import Direction, LookupKey
from vigil.storage.engine import SqliteDatabase
from vigil.storage.migrations import migrate

INDEX_OF = {
    LookupKey.SERVICE_NAME: "audit_records_service",
    LookupKey.EVENT_NAME: "audit_records_event_name",
    LookupKey.USER: "audit_records_user",
    LookupKey.RESOURCE_TYPE: "audit_records_resource_type",
    LookupKey.RESOURCE_NAME: "audit_records_resource_name",
    LookupKey.EVENT_RW: "audit_records_event_rw",
    LookupKey.EVENT_ACCESS_KEY_ID: "audit_records_access_key",
}


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("key", list(INDEX_OF), ids=[k.value for k in INDEX_OF])
def test_each_page_reads_through_the_attributes_index(
    tmp_path: Path, key: LookupKey, direction: Direction
) -> None:
    db = SqliteDatabase(tmp_path / "audit.db")
    migrate(db)
    statements: list[str] = []
    try:
        with db.transaction(write=False) as tx:
            conn: sqlite3.Connection = tx._conn  # type: ignore[attr-defined]
            conn.set_trace_callback(statements.append)
            for after in (None, store.Cursor(1_700_000_000_000, 42)):
                store.lookup(tx, "acc", [(key.value, "x")], 0, 1_800_000_000_000, direction, 50, after)
            conn.set_trace_callback(None)
            plans = [
                " ".join(r["detail"] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}"))
                for sql in statements
                if sql.startswith("SELECT")
            ]
    finally:
        db.close()
    assert len(plans) == 2
    for plan in plans:
        assert f"USING INDEX {INDEX_OF[key]} " in plan, plan
