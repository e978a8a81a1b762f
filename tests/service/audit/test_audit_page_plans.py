"""Query plans on SQLite. Every LookupEvents page, the first and the ones after a NextToken, is read
through the index of its attribute (the planner once chose the trail's index for a continued page, when
the cursor was a row-value comparison, and a rare EventName's second page took ten times longer);
and with the statistics the hourly job keeps fresh, an OR of rare values reads their index."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.audit import store
from vigil.audit.model import AuditRecord, Direction, LookupKey
from vigil.audit.query import compile_query
from vigil.storage import statistics
from vigil.storage.engine import SqliteDatabase, Tx
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


def _plans(db: SqliteDatabase, run: Callable[[Tx], object]) -> list[str]:
    """The query plan of each SELECT that ``run`` makes in a read transaction."""
    statements: list[str] = []
    with db.transaction(write=False) as tx:
        conn: sqlite3.Connection = tx._conn  # type: ignore[attr-defined]
        conn.set_trace_callback(statements.append)
        try:
            run(tx)
        finally:
            conn.set_trace_callback(None)
        return [
            " ".join(r["detail"] for r in tx.all(f"EXPLAIN QUERY PLAN {sql}"))
            for sql in statements
            if sql.startswith("SELECT")
        ]


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("key", list(INDEX_OF), ids=[k.value for k in INDEX_OF])
def test_each_page_reads_through_the_attributes_index(
    tmp_path: Path, key: LookupKey, direction: Direction
) -> None:
    db = SqliteDatabase(tmp_path / "audit.db")
    migrate(db)

    def both_pages(tx: Tx) -> None:
        for after in (None, store.Cursor(1_700_000_000_000, 42)):
            store.lookup(tx, "acc", [(key.value, "x")], 0, 1_800_000_000_000, direction, 50, after)

    try:
        plans = _plans(db, both_pages)
    finally:
        db.close()
    assert len(plans) == 2
    for plan in plans:
        assert f"USING INDEX {INDEX_OF[key]} " in plan, plan


def test_with_fresh_statistics_an_or_of_rare_error_codes_reads_the_error_index(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "audit.db")
    migrate(db)
    records = []
    for i in range(3000):
        error = ("Rejected.Disabled", "Rejected.PendingDeletion")[i // 50 % 2] if i % 50 == 0 else ""
        records.append(
            AuditRecord(
                event_id=f"ev-{i:05d}",
                account_id="acc",
                event_time_ms=1_700_000_000_000 + i,
                service_name="Kms",
                event_name="Encrypt",
                event_rw="Read",
                event_type="ApiCall",
                event_source="kms",
                request_id=f"r{i}",
                acs_region="cn-hangzhou",
                source_ip="10.0.0.1",
                user_agent="sdk",
                identity_type="root-account",
                principal_id="p",
                user_name="root",
                access_key_id="ak",
                resource_type="ACS::KMS::Key",
                resource_name=f"key-{i % 40}",
                error_code=error,
            )
        )
    with db.transaction() as tx:
        store.insert_records(tx, records)
    query = compile_query(
        'event.errorCode: "Rejected.Disabled" OR event.errorCode: "Rejected.PendingDeletion"', "sqlite"
    )
    pages: list[store.Page] = []
    try:
        assert statistics.refresh(db) == 1
        (plan,) = _plans(
            db,
            lambda tx: pages.append(
                store.search(tx, "acc", query, 0, 1_800_000_000_000, 50, None, None, Direction.BACKWARD)
            ),
        )
    finally:
        db.close()
    page = pages[0]
    assert len(page.records) == 50 and {r.error_code for r in page.records} == {
        "Rejected.Disabled",
        "Rejected.PendingDeletion",
    }
    assert "USING INDEX audit_records_error " in plan and "audit_records_trail" not in plan, plan
