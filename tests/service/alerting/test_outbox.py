"""The outbox read before the write lock (``peek``) and taken inside it (``take``): a row goes to
exactly one dispatcher, and one whose event is gone leaves with the rest."""

from __future__ import annotations

from vigil.alerting import outbox
from vigil.alerting.model import AlertEvent, SourceKind
from vigil.events import store as events_store
from vigil.events.model import SystemEvent
from vigil.storage.engine import Database

NOW = 1_767_225_600_000


def _event(n: int) -> SystemEvent:
    return SystemEvent(
        f"ev-{n}", "acct", "Kafka", "Instance:Risk", "WARN", "Exception", "Normal", "0",
        f"res-{n}", f"inst-{n}", "cn-hangzhou", NOW + n, {"instanceName": f"inst-{n}"},
    )  # fmt: skip


def _queue(db: Database, events: list[SystemEvent]) -> None:
    with db.transaction() as tx:
        events_store.insert_rows(tx, events_store.event_rows(events))
        outbox.insert_many(
            tx, [outbox.row(AlertEvent.of_system(e), SourceKind.RULE, "storm", NOW) for e in events]
        )


def test_two_dispatchers_peeking_the_same_rows_take_each_row_once(database: Database) -> None:
    _queue(database, [_event(n) for n in range(4)])
    with database.transaction(write=False) as tx:
        first = outbox.peek(tx, 3)
    with database.transaction(write=False) as tx:
        second = outbox.peek(tx, 10)
    assert [i.event.event_id for i in first.items] == ["ev-0", "ev-1", "ev-2"]
    assert len(second.seqs) == 4

    with database.transaction() as tx:
        taken_first = outbox.take(tx, first)
    with database.transaction() as tx:
        taken_second = outbox.take(tx, second)

    assert [i.event.event_id for i in taken_first] == ["ev-0", "ev-1", "ev-2"]
    assert [i.event.event_id for i in taken_second] == ["ev-3"]
    with database.transaction(write=False) as tx:
        assert outbox.pending(tx) == 0


def test_a_row_whose_event_is_gone_is_taken_but_not_dispatched(database: Database) -> None:
    _queue(database, [_event(n) for n in range(2)])
    with database.transaction() as tx:  # retention removed the first event before dispatch
        tx.execute("DELETE FROM system_events WHERE event_id = ?", ("ev-0",))
    with database.transaction(write=False) as tx:
        peeked = outbox.peek(tx, 10)
    assert len(peeked.seqs) == 2 and [i.event.event_id for i in peeked.items] == ["ev-1"]
    with database.transaction() as tx:
        assert [i.event.event_id for i in outbox.take(tx, peeked)] == ["ev-1"]
    with database.transaction(write=False) as tx:
        assert outbox.pending(tx) == 0
