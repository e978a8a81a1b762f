"""The outbox: one row per (event, matching rule or subscription), written in the event's own
transaction and consumed, in another, by the dispatcher that turns it into notifications.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vigil.alerting.model import AlertEvent, EventKind, SourceKind
from vigil.events import store as events_store
from vigil.storage.engine import Row, Tx


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    account_id: str
    event: AlertEvent
    source_kind: SourceKind
    source_name: str
    created_at: int


_COLUMNS = ("account_id", "event_kind", "event_id", "source_kind", "source_name", "created_at")


def row(event: AlertEvent, kind: SourceKind, name: str, now: int) -> tuple[str, str, str, str, str, int]:
    return (event.account_id, event.kind.value, event.event_id, kind.value, name, now)


def insert_many(tx: Tx, rows: Sequence[Sequence[object]]) -> None:
    if len(rows) == 1:
        tx.execute(f"INSERT INTO alert_outbox ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", rows[0])
    else:
        tx.insert_many("alert_outbox", _COLUMNS, rows)


def claim(tx: Tx, dialect: str, limit: int) -> list[Item]:
    """The oldest rows, locked against other nodes until this transaction ends (PostgreSQL skips
    rows another dispatcher holds), and removed from the outbox."""
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    rows = tx.all(f"SELECT * FROM alert_outbox ORDER BY seq LIMIT ?{lock}", (limit,))
    _remove(tx, [r["seq"] for r in rows])
    return _items(tx, rows)


@dataclass(frozen=True, slots=True)
class Peeked:
    """The oldest rows as read outside a write transaction, their events loaded."""

    seqs: list[int]
    items: list[Item]


def peek(tx: Tx, limit: int) -> Peeked:
    """Read the oldest rows and their events without taking them (see ``take``). On SQLite a write
    transaction excludes every other writer, event intake included, so the dispatcher reads here,
    before it, and holds the write lock only for what it writes."""
    rows = tx.all("SELECT * FROM alert_outbox ORDER BY seq LIMIT ?", (limit,))
    return Peeked([r["seq"] for r in rows], _items(tx, rows))


def take(tx: Tx, peeked: Peeked) -> list[Item]:
    """Remove peeked rows from the outbox; returns the items of those this transaction removed
    (another dispatcher may have taken some since the peek). Rows whose event is gone go too."""
    ours = _remove(tx, peeked.seqs)
    return [i for i in peeked.items if i.seq in ours]


def _remove(tx: Tx, seqs: list[int]) -> set[int]:
    """Delete these rows; returns the ``seq`` of those this statement deleted."""
    if not seqs:
        return set()
    marks = ", ".join("?" for _ in seqs)
    return {
        int(r["seq"]) for r in tx.all(f"DELETE FROM alert_outbox WHERE seq IN ({marks}) RETURNING seq", seqs)
    }


def _items(tx: Tx, rows: Sequence[Row]) -> list[Item]:
    """The rows with their events; a row whose event retention removed before dispatch is dropped."""
    system = events_store.events_by_ids(
        tx, [r["event_id"] for r in rows if r["event_kind"] == EventKind.SYSTEM.value]
    )
    alerts = {event_id: AlertEvent.of_system(e) for event_id, e in system.items()}
    items = []
    for r in rows:
        kind = EventKind(r["event_kind"])
        event = alerts.get(r["event_id"]) if kind is EventKind.SYSTEM else load_event(tx, kind, r["event_id"])
        if event is not None:
            items.append(
                Item(
                    r["seq"],
                    r["account_id"],
                    event,
                    SourceKind(r["source_kind"]),
                    r["source_name"],
                    r["created_at"],
                )
            )
    return items


def pending(tx: Tx) -> int:
    row = tx.one("SELECT COUNT(*) AS n FROM alert_outbox")
    return int(row["n"]) if row else 0


def load_event(tx: Tx, kind: EventKind, event_id: str) -> AlertEvent | None:
    if kind is EventKind.SYSTEM:
        system = events_store.event_by_id(tx, event_id)
        return None if system is None else AlertEvent.of_system(system)
    custom = events_store.custom_by_id(tx, event_id)
    return None if custom is None else AlertEvent.of_custom(custom)
