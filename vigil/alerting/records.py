"""SQL for notifications and their delivery records: create, lease the due ones, finish, query, expire.

A record is leased (holder + wall-clock expiry) while it is being sent, so two nodes never send it
at once; a node that dies mid-send loses the lease and the record is sent again after it expires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vigil.alerting.model import DeliveryStatus, NotificationRecord, NotificationState
from vigil.events.model import compact_json, parse_json
from vigil.storage.engine import Row, Tx

_dump = compact_json


@dataclass(frozen=True, slots=True)
class Notification:
    notification_id: str
    account_id: str
    source_kind: str
    source_name: str
    group_key: str
    event_id: str
    event_name: str
    event_count: int
    content: str
    state: NotificationState
    created_at: int
    updated_at: int
    acked_by: str | None
    ack_comment: str | None
    escalation_level: int
    next_escalation_at: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "NotificationId": self.notification_id,
            "Source": f"{self.source_kind}/{self.source_name}",
            "GroupKey": self.group_key,
            "EventId": self.event_id,
            "EventName": self.event_name,
            "EventCount": self.event_count,
            "State": self.state.value,
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
            "AckedBy": self.acked_by or "",
            "AckComment": self.ack_comment or "",
            "EscalationLevel": self.escalation_level,
            "NextEscalationAt": self.next_escalation_at,
        }


_NOTIFICATION_COLUMNS = (
    "notification_id",
    "account_id",
    "source_kind",
    "source_name",
    "group_key",
    "event_id",
    "event_name",
    "event_count",
    "content",
    "state",
    "created_at",
    "updated_at",
    "acked_by",
    "ack_comment",
    "escalation_level",
    "next_escalation_at",
)


def insert_notification(tx: Tx, n: Notification) -> None:
    insert_notifications(tx, [n])


def insert_notifications(tx: Tx, notifications: Sequence[Notification]) -> None:
    """Write a dispatch pass's notifications as one batch."""
    tx.insert_many("notifications", _NOTIFICATION_COLUMNS, [_notification_row(n) for n in notifications])


def _notification_row(n: Notification) -> tuple[Any, ...]:
    return (
        n.notification_id,
        n.account_id,
        n.source_kind,
        n.source_name,
        n.group_key,
        n.event_id,
        n.event_name,
        n.event_count,
        n.content,
        n.state.value,
        n.created_at,
        n.updated_at,
        n.acked_by,
        n.ack_comment,
        n.escalation_level,
        n.next_escalation_at,
    )


def _notification(r: Row) -> Notification:
    return Notification(
        r["notification_id"],
        r["account_id"],
        r["source_kind"],
        r["source_name"],
        r["group_key"],
        r["event_id"],
        r["event_name"],
        r["event_count"],
        r["content"],
        NotificationState(r["state"]),
        r["created_at"],
        r["updated_at"],
        r["acked_by"],
        r["ack_comment"],
        r["escalation_level"],
        r["next_escalation_at"],
    )


def get_notification(tx: Tx, account_id: str, notification_id: str) -> Notification | None:
    r = tx.one(
        "SELECT * FROM notifications WHERE account_id = ? AND notification_id = ?",
        (account_id, notification_id),
    )
    return None if r is None else _notification(r)


def list_notifications(tx: Tx, account_id: str, state: str | None, limit: int) -> list[Notification]:
    clause, params = "account_id = ?", [account_id]
    if state:
        clause += " AND state = ?"
        params.append(state)
    rows = tx.all(
        f"SELECT * FROM notifications WHERE {clause} ORDER BY created_at DESC LIMIT ?", [*params, limit]
    )
    return [_notification(r) for r in rows]


def set_state(
    tx: Tx, account_id: str, notification_id: str, state: NotificationState, who: str, comment: str, now: int
) -> int:
    """Acknowledging or resolving stops escalation. A notification is acknowledged only while it
    fires and resolved at most once; the first acknowledgement stays recorded."""
    allowed = [NotificationState.FIRING.value]
    if state is NotificationState.RESOLVED:
        allowed.append(NotificationState.ACKNOWLEDGED.value)
    marks = ", ".join("?" for _ in allowed)
    return tx.execute(
        "UPDATE notifications SET state = ?, acked_by = COALESCE(acked_by, ?), "
        "ack_comment = COALESCE(ack_comment, ?), updated_at = ?, next_escalation_at = NULL "
        f"WHERE account_id = ? AND notification_id = ? AND state IN ({marks})",
        [state.value, who, comment, now, account_id, notification_id, *allowed],
    )


def due_escalations(tx: Tx, now: int, limit: int) -> list[Notification]:
    rows = tx.all(
        "SELECT * FROM notifications WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ? "
        "AND state = ? ORDER BY next_escalation_at LIMIT ?",
        (now, NotificationState.FIRING.value, limit),
    )
    return [_notification(r) for r in rows]


def escalated(
    tx: Tx, notification_id: str, level: int, next_at: int | None, now: int, *, from_level: int
) -> bool:
    """Move to ``level`` only from ``from_level``: of two dispatchers taking one step, one wins."""
    changed = tx.execute(
        "UPDATE notifications SET escalation_level = ?, next_escalation_at = ?, updated_at = ? "
        "WHERE notification_id = ? AND escalation_level = ?",
        (level, next_at, now, notification_id, from_level),
    )
    return bool(changed)


# -- delivery records ------------------------------------------------------------------------

_RECORD_COLUMNS = (
    "record_id, account_id, notification_id, event_id, event_name, trigger_event_type, resource_id, secret_name, "
    "secret_type, source_kind, source_name, target_kind, target_id, target_name, channel, address, subject, "
    "content, status, attempts, reason, last_error, latency_ms, created_at, updated_at, next_attempt_at, "
    "lease_holder, lease_until"
)


RECORD_COLUMNS = tuple(c.strip() for c in _RECORD_COLUMNS.split(","))


def insert_records(tx: Tx, batch: Sequence[NotificationRecord]) -> None:
    """Write delivery records as one batch, none of them leased. A record's content is its
    notification's, kept once in the notification's row: the record's column stays empty (rows
    written before that change still carry their own copy, which reads prefer)."""
    tx.insert_many("notification_records", RECORD_COLUMNS, [_record_row(r) for r in batch])


def _record_row(r: NotificationRecord) -> tuple[Any, ...]:
    return (
        r.record_id,
        r.account_id,
        r.notification_id,
        r.event_id,
        r.event_name,
        r.trigger_event_type,
        r.resource_id,
        r.secret_name,
        r.secret_type,
        r.source_kind,
        r.source_name,
        r.target_kind,
        r.target_id,
        r.target_name,
        r.channel,
        _dump(r.address),
        r.subject,
        "",
        r.status.value,
        r.attempts,
        r.reason,
        r.last_error,
        r.latency_ms,
        r.created_at,
        r.updated_at,
        r.next_attempt_at,
        "",
        0,
    )


_IDS_PER_QUERY = 500
"""Ids per ``IN (…)`` list, far below either engine's parameter limit."""


def _records(tx: Tx, rows: Sequence[Row]) -> list[NotificationRecord]:
    """Rows as records, each with its notification's content (one read for all of them)."""
    wanted = list({r["notification_id"] for r in rows if not r["content"]})
    contents: dict[str, str] = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" for _ in chunk)
        found = tx.all(
            f"SELECT notification_id, content FROM notifications WHERE notification_id IN ({marks})", chunk
        )
        contents.update((f["notification_id"], f["content"]) for f in found)
    return [_record(r, r["content"] or contents.get(r["notification_id"], "")) for r in rows]


def _record(r: Row, content: str) -> NotificationRecord:
    return NotificationRecord(
        r["record_id"],
        r["account_id"],
        r["notification_id"],
        r["event_id"],
        r["event_name"],
        r["trigger_event_type"],
        r["resource_id"],
        r["secret_name"],
        r["secret_type"],
        r["source_kind"],
        r["source_name"],
        r["target_kind"],
        r["target_id"],
        r["target_name"],
        r["channel"],
        parse_json(r["address"]),
        r["subject"],
        content,
        DeliveryStatus(r["status"]),
        r["attempts"],
        r["reason"],
        r["last_error"],
        r["latency_ms"],
        r["created_at"],
        r["updated_at"],
        r["next_attempt_at"],
        r["seq"],
    )


def claim_due(
    tx: Tx,
    dialect: str,
    holder: str,
    now: int,
    wall_now: int,
    lease_until: int,
    limit: int,
    notification_id: str | None = None,
) -> list[NotificationRecord]:
    """Lease up to ``limit`` pending records whose next attempt is due and that nobody else holds."""
    lock = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    only = "" if notification_id is None else " AND notification_id = ?"
    params: list[Any] = [holder, lease_until, DeliveryStatus.PENDING.value, now, wall_now]
    params += [] if notification_id is None else [notification_id]
    rows = tx.all(
        "UPDATE notification_records SET lease_holder = ?, lease_until = ? WHERE seq IN ("
        f"SELECT seq FROM notification_records WHERE status = ? AND next_attempt_at <= ? AND lease_until < ?{only} "
        f"ORDER BY next_attempt_at, seq LIMIT ?{lock}) RETURNING *",
        [*params, limit],
    )
    return _records(tx, rows)


@dataclass(frozen=True, slots=True)
class Finished:
    """One attempt's outcome, to be written over the leased record ``seq``."""

    seq: int
    status: DeliveryStatus
    attempts: int
    reason: str
    error: str
    latency_ms: float | None
    next_attempt_at: int


_FINISH_ROWS = 500
"""Outcomes per statement: 7 parameters each stays far below either engine's limit."""


def finish_many(tx: Tx, holder: str, outcomes: Sequence[Finished], now: int) -> set[int]:
    """Record attempts' outcomes, one statement per 500; returns the ``seq`` of the records
    written. A record this node no longer holds the lease of is left as it is (and not returned)."""
    written: set[int] = set()
    for start in range(0, len(outcomes), _FINISH_ROWS):
        chunk = outcomes[start : start + _FINISH_ROWS]
        params: list[Any] = [now]
        for f in chunk:
            params += (f.seq, f.status.value, f.attempts, f.reason, f.error, f.latency_ms, f.next_attempt_at)
        params.append(holder)
        rows = tx.all(_finish_sql(len(chunk)), params)
        written.update(int(r["seq"]) for r in rows)
    return written


@lru_cache(maxsize=64)
def _finish_sql(n: int) -> str:
    # One joined UPDATE (SQLite 3.33+, PostgreSQL): the lease check stays in its WHERE, so a
    # record another node took over meanwhile is skipped row by row, as a single UPDATE would.
    # The casts give PostgreSQL the column types when every value of a column is NULL or text.
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * n)
    return (
        "UPDATE notification_records SET status = CAST(v.column2 AS TEXT), "
        "attempts = CAST(v.column3 AS INTEGER), reason = CAST(v.column4 AS TEXT), "
        "last_error = CAST(v.column5 AS TEXT), latency_ms = CAST(v.column6 AS DOUBLE PRECISION), "
        "next_attempt_at = CAST(v.column7 AS BIGINT), updated_at = ?, lease_holder = '', lease_until = 0 "
        f"FROM (VALUES {values}) AS v "
        "WHERE notification_records.seq = CAST(v.column1 AS BIGINT) AND notification_records.lease_holder = ? "
        "RETURNING notification_records.seq"
    )


def any_due(tx: Tx, now: int, wall_now: int) -> bool:
    row = tx.one(
        "SELECT seq FROM notification_records WHERE status = ? AND next_attempt_at <= ? AND lease_until < ? LIMIT 1",
        (DeliveryStatus.PENDING.value, now, wall_now),
    )
    return row is not None


def next_due(tx: Tx) -> int | None:
    row = tx.one(
        "SELECT MIN(next_attempt_at) AS t FROM notification_records WHERE status = ?",
        (DeliveryStatus.PENDING.value,),
    )
    return None if row is None or row["t"] is None else int(row["t"])


@dataclass(frozen=True, slots=True)
class RecordFilter:
    start_ms: int | None = None
    end_ms: int | None = None
    status: str | None = None
    source_name: str | None = None
    target: str | None = None
    event_name: str | None = None
    resource: str | None = None
    notification_id: str | None = None


def page(
    tx: Tx, account_id: str, f: RecordFilter, before_seq: int | None, limit: int
) -> list[NotificationRecord]:
    """Newest first; ``before_seq`` is the marker of the previous page."""
    clauses, params = ["account_id = ?"], [account_id]
    checks: Sequence[tuple[str, Any]] = (
        ("created_at >= ?", f.start_ms),
        ("created_at < ?", f.end_ms),
        ("status = ?", f.status),
        ("source_name = ?", f.source_name),
        ("(target_id = ? OR target_name = ?)", f.target),
        ("event_name = ?", f.event_name),
        ("(resource_id = ? OR secret_name = ?)", f.resource),
        ("notification_id = ?", f.notification_id),
        ("seq < ?", before_seq),
    )
    for clause, value in checks:
        if value is not None:
            clauses.append(clause)
            params.extend([value] * clause.count("?"))
    rows = tx.all(
        f"SELECT * FROM notification_records WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",
        [*params, limit],
    )
    return _records(tx, rows)


def delete_before(tx: Tx, time_ms: int, limit: int) -> int:
    removed = tx.execute(
        "DELETE FROM notification_records WHERE seq IN (SELECT seq FROM notification_records "
        "WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        (time_ms, limit),
    )
    removed += tx.execute(
        "DELETE FROM notifications WHERE notification_id IN (SELECT notification_id FROM notifications "
        "WHERE created_at < ? ORDER BY created_at LIMIT ?)",
        (time_ms, limit),
    )
    return removed
