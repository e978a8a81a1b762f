"""Writing and expiring audit records on SQLite and PostgreSQL: batches, duplicate ids, retention of
the trail and of instance log stores (and what each still shows), and the size of an instance's log
store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.service.audit.audit_seeds import ACCOUNT, BASE, INSTANCE, KEY, OTHER_ACCOUNT
from vigil.audit import store
from vigil.audit.model import MANAGEMENT_RETENTION_DAYS, AuditRecord
from vigil.audit.query import compile_query
from vigil.clock import DAY_MS
from vigil.events.model import compact_json
from vigil.storage.engine import Conflict, Database

NOW = 1_800_000_000_000
TRAIL_WINDOW = (NOW - MANAGEMENT_RETENTION_DAYS * DAY_MS, NOW + 1)
"""The furthest back a read of the trail reaches (LookupEvents and SearchAuditEvents refuse an
earlier StartTime)."""
EVERYTHING = (0, NOW + 1)


def record(n: int, age_days: float, **fields: object) -> AuditRecord:
    return replace(
        BASE,
        event_id=f"ev-{n:04d}",
        request_id=f"req-{n}",
        event_time_ms=int(NOW - age_days * DAY_MS),
        **fields,
    )  # type: ignore[arg-type]


def stored_ids(
    db: Database, text: str = "*", instance_id: str | None = None, window: tuple[int, int] = EVERYTHING
) -> set[str]:
    with db.transaction(write=False) as tx:
        page = store.search(
            tx, ACCOUNT, compile_query(text, db.dialect), *window, limit=1000, instance_id=instance_id
        )
    return {r.event_id for r in page.records}


def looked_up(db: Database, attributes: list[tuple[str, str]], window: tuple[int, int]) -> set[str]:
    with db.transaction(write=False) as tx:
        page = store.lookup(tx, ACCOUNT, attributes, *window, limit=1000)
    return {r.event_id for r in page.records}


def test_a_batch_and_a_single_record_are_both_written(database: Database) -> None:
    with database.transaction() as tx:
        store.insert_records(tx, [record(1, 1), record(2, 1)])
        store.insert_records(tx, [record(3, 1)])
        store.insert_records(tx, [])
    assert stored_ids(database) == {"ev-0001", "ev-0002", "ev-0003"}


def test_an_event_id_is_stored_once(database: Database) -> None:
    with database.transaction() as tx:
        store.insert_records(tx, [record(1, 1)])
    with pytest.raises(Conflict), database.transaction() as tx:
        store.insert_records(tx, [record(1, 2)])


def test_retention_keeps_the_trail_90_days_and_instance_stores_180(database: Database) -> None:
    records = [
        record(1, 89.9),
        record(2, 90.1),
        record(3, 90.1, account_id=OTHER_ACCOUNT),
        record(4, 179.9, instance_id=INSTANCE),
        record(5, 180.1, instance_id=INSTANCE),
        record(6, 180.1, instance_id="kst-other"),
        record(7, 89.9, instance_id=INSTANCE),
        record(8, 90.1, instance_id=INSTANCE),
    ]
    with database.transaction() as tx:
        store.insert_records(tx, records)
        assert store.delete_expired(tx, NOW) == 4
        assert store.delete_expired(tx, NOW) == 0
    assert stored_ids(database) == {"ev-0001", "ev-0004", "ev-0007", "ev-0008"}
    assert stored_ids(database, instance_id=INSTANCE) == {"ev-0004", "ev-0007", "ev-0008"}
    # the trail reaches back 90 days: an instance record older than that has left it ...
    assert stored_ids(database, window=TRAIL_WINDOW) == {"ev-0001", "ev-0007"}
    assert looked_up(database, [], TRAIL_WINDOW) == {"ev-0001", "ev-0007"}
    assert looked_up(database, [("ResourceName", KEY)], TRAIL_WINDOW) == {"ev-0001", "ev-0007"}
    # ... yet its instance's log store keeps it until it is 180 days old
    assert stored_ids(database, instance_id=INSTANCE, window=(NOW - 180 * DAY_MS, NOW + 1)) == {
        "ev-0004",
        "ev-0007",
        "ev-0008",
    }
    with database.transaction() as tx:
        assert store.delete_expired(tx, NOW + DAY_MS // 5) == 2  # ev-0001 (90.1 days), ev-0004 (180.1)
    assert stored_ids(database, instance_id=INSTANCE) == {"ev-0007", "ev-0008"}
    assert stored_ids(database) == {"ev-0007", "ev-0008"}


def test_retention_deletes_at_most_a_batch_per_store_per_call(database: Database) -> None:
    with database.transaction() as tx:
        store.insert_records(tx, [record(n, 100 + n) for n in range(5)])
        assert store.delete_expired(tx, NOW, batch=2) == 2
        assert store.delete_expired(tx, NOW, batch=2) == 2
        assert store.delete_expired(tx, NOW, batch=2) == 1
        assert store.delete_expired(tx, NOW, batch=2) == 0


def test_a_deleted_record_is_gone_from_the_text_index_too(database: Database) -> None:
    with database.transaction() as tx:
        store.insert_records(tx, [record(1, 91, user_name="zelda"), record(2, 1, user_name="zelda")])
        store.delete_expired(tx, NOW)
        if database.dialect == "sqlite":
            tx.execute("INSERT INTO audit_fts (audit_fts, rank) VALUES ('integrity-check', 1)")
    assert stored_ids(database, "zelda") == {"ev-0002"}


def test_an_instance_log_store_size_is_the_bytes_of_its_events(database: Database) -> None:
    mine = [record(1, 1, instance_id=INSTANCE), record(2, 2, instance_id=INSTANCE, user_name="ünïcode")]
    with database.transaction() as tx:
        store.insert_records(tx, [*mine, record(3, 1), record(4, 1, instance_id="kst-other")])
        size = store.instance_log_bytes(tx, INSTANCE)
        assert store.instance_log_bytes(tx, "kst-none") == 0
    assert size == sum(len(compact_json(r.to_event()).encode()) for r in mine)


def test_numbers_beyond_double_precision_compare_without_failing(database: Database) -> None:
    huge = record(1, 1, response_elements={"Count": 10**400, "Text": "9" * 400})
    with database.transaction() as tx:
        store.insert_records(tx, [huge, record(2, 1, response_elements={"Count": 3})])
    assert stored_ids(database, "event.responseElements.Count > 5") == {"ev-0001"}
    assert stored_ids(database, "event.responseElements.Text > 5") == set()
