"""SQL for audit records: insert a batch, LookupEvents pages, advanced-query pages and counts,
retention, and the size of an instance's log store.

Pages are ordered by (event_time_ms, seq) and continued with a Cursor naming the last row returned,
so however many records arrive meanwhile, no page repeats one an earlier page returned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vigil.audit import fulltext
from vigil.audit.calls import CALL_TEXT_FIELDS, expand
from vigil.audit.model import (
    INSTANCE_RETENTION_DAYS,
    MANAGEMENT_RETENTION_DAYS,
    AuditRecord,
    Direction,
    EventRW,
    LookupKey,
    ServiceName,
    canonical,
)
from vigil.audit.query import CompiledQuery
from vigil.audit.query.backends import BACKENDS
from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument
from vigil.events.model import compact_json, parse_json
from vigil.storage.engine import Row, Tx

_INSERT_COLUMNS = (
    "event_id",
    "account_id",
    "event_time_ms",
    "service_name",
    "event_name",
    "event_rw",
    "event_type",
    "event_source",
    "request_id",
    "acs_region",
    "source_ip",
    "user_agent",
    "identity_type",
    "principal_id",
    "user_name",
    "access_key_id",
    "resource_type",
    "resource_name",
    "error_code",
    "error_message",
    "api_version",
    "instance_id",
    "record",
    "search_text",
    "size_bytes",
)
_INSERT = f"INSERT INTO audit_records ({', '.join(_INSERT_COLUMNS)}) VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})"
_SELECT = "SELECT seq, event_time_ms, instance_id, record FROM audit_records"

LOOKUP_COLUMNS: dict[LookupKey, str] = {
    LookupKey.SERVICE_NAME: "service_name",
    LookupKey.EVENT_NAME: "event_name",
    LookupKey.USER: "user_name",
    LookupKey.EVENT_ID: "event_id",
    LookupKey.RESOURCE_TYPE: "resource_type",
    LookupKey.RESOURCE_NAME: "resource_name",
    LookupKey.EVENT_RW: "event_rw",
    LookupKey.EVENT_ACCESS_KEY_ID: "access_key_id",
}
_LOOKUP_CHOICES = {LookupKey.SERVICE_NAME: ServiceName, LookupKey.EVENT_RW: EventRW}
STATS_LIMIT = 100
_CURSOR = re.compile(r"([0-9]{1,15})-([0-9]{1,18})")


class InvalidCursor(InvalidArgument):
    code = "InvalidParameter.NextToken"


class InvalidLookupAttribute(InvalidArgument):
    code = "InvalidParameter.LookupAttribute"


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ended: the last record's event time and sequence number."""

    event_time_ms: int
    seq: int

    def token(self) -> str:
        """The cursor as an opaque NextToken."""
        return f"{self.event_time_ms}-{self.seq}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """The cursor a NextToken stands for. Raises InvalidCursor for a token no page gave out."""
        found = _CURSOR.fullmatch(token)
        if found is None:
            raise InvalidCursor(f"NextToken {token[:40]!r} was not given out by a previous page")
        return cls(int(found.group(1)), int(found.group(2)))


@dataclass(frozen=True, slots=True)
class Page:
    records: list[AuditRecord]
    next: Cursor | None  # None on the last page


@dataclass(frozen=True, slots=True)
class StatsRow:
    values: tuple[str | None, ...]  # one per ``by`` field; None where the event has no such value
    count: int


# -- writing -------------------------------------------------------------------------------------

RecordRow = tuple[Any, ...]


def record_rows(records: Sequence[AuditRecord]) -> list[RecordRow]:
    """The rows ``insert_rows`` writes, encoded beforehand (outside the write lock)."""
    return [_row(r) for r in records]


def _row(r: AuditRecord) -> RecordRow:
    record = compact_json(r.to_event())
    return (
        r.event_id,
        r.account_id,
        r.event_time_ms,
        r.service_name,
        r.event_name,
        r.event_rw,
        r.event_type,
        r.event_source,
        r.request_id,
        r.acs_region,
        r.source_ip,
        r.user_agent,
        r.identity_type,
        r.principal_id,
        r.user_name,
        r.access_key_id,
        r.resource_type,
        r.resource_name,
        r.error_code,
        r.error_message,
        r.api_version,
        r.instance_id,
        record,
        fulltext.search_text(r),
        len(record.encode()),
    )


def call_row(time_ms: int, instance_id: str, compact: Sequence[Any]) -> RecordRow:
    """The row of a call's journal line, from its compact form (``calls.expand``) straight to the
    columns, with no AuditRecord in between: this is what the indexer does for every call. The
    same as ``_row`` of the record ``indexer.decode`` makes of the line. Raises ValueError for a
    compact form with the wrong number or kind of fields."""
    event = expand(time_ms, compact)
    (
        request_id,
        event_name,
        service_name,
        event_rw,
        event_source,
        source_ip,
        user_agent,
        api_version,
        acs_region,
        identity_type,
        principal_id,
        account_id,
        access_key_id,
        user_name,
        resource_type,
        resource_name,
        error_code,
        error_message,
    ) = (v if isinstance(v, str) else "" for v in compact[:CALL_TEXT_FIELDS])
    parameters = event["requestParameters"] or {}
    if not isinstance(parameters, dict):
        raise ValueError("a call's requestParameters must be an object")
    event["requestParameters"] = parameters
    record = compact_json(event)
    columns: RecordRow = (
        event["eventId"],
        account_id,
        time_ms,
        service_name,
        event_name,
        event_rw,
        event["eventType"],
        event_source,
        request_id,
        acs_region,
        source_ip,
        user_agent,
        identity_type,
        principal_id,
        user_name,
        access_key_id,
        resource_type,
        resource_name,
        error_code,
        error_message,
        api_version,
        instance_id,
        record,
    )
    text = fulltext.text_of([columns[i] for i in _SEARCHED], parameters, event["responseElements"])
    return (*columns, text, len(record.encode()))


_SEARCHED = tuple(_INSERT_COLUMNS.index(name) for name in fulltext.SEARCHED_FIELDS)
"""Where in a row are the columns a bare term is matched against."""


def insert_rows(tx: Tx, rows: Sequence[RecordRow]) -> None:
    """Write encoded records as one batch (a single record as one statement).

    Raises Conflict when an event id is already stored.
    """
    if len(rows) == 1:
        tx.execute(_INSERT, rows[0])
    elif rows:
        tx.insert_many("audit_records", _INSERT_COLUMNS, rows)


def insert_records(tx: Tx, records: Sequence[AuditRecord]) -> None:
    """Encode and write records as one batch. Raises Conflict when an event id is already stored."""
    insert_rows(tx, record_rows(records))


# -- reading -------------------------------------------------------------------------------------


def lookup(
    tx: Tx,
    account_id: str,
    attributes: Sequence[tuple[str, str]],
    start_ms: int,
    end_ms: int,
    direction: Direction = Direction.BACKWARD,
    limit: int = 50,
    after: Cursor | None = None,
) -> Page:
    """LookupEvents: the account's trail records in [start_ms, end_ms) matching every (key, value)
    attribute exactly (case-sensitively, except that ServiceName and EventRW name their value in any
    case), a page in ``direction`` after ``after``. Raises InvalidLookupAttribute for an unknown key.

    The trail holds every call, data-plane ones too (those are also in their instance's log store,
    which keeps them longer); callers keep the window within the trail's 90 days."""
    clauses, params = ["account_id = ?"], [account_id]
    for key, value in attributes:
        column = _lookup_column(key)
        choices = _LOOKUP_CHOICES.get(LookupKey(key))
        clauses.append(f"{column} = ?")
        params.append(canonical(value, choices) if choices else value)
    return _page(tx, clauses, params, start_ms, end_ms, direction, limit, after)


def search(
    tx: Tx,
    account_id: str,
    query: CompiledQuery,
    start_ms: int,
    end_ms: int,
    limit: int = 50,
    after: Cursor | None = None,
    instance_id: str | None = None,
    direction: Direction = Direction.BACKWARD,
) -> Page:
    """The advanced query: records in [start_ms, end_ms) that ``query`` matches, in the account's
    trail, or with ``instance_id`` in that KMS instance's log store; a page after ``after``."""
    _plan_with_values(tx, query)
    scope, scope_params = _scope(instance_id)
    clauses = ["account_id = ?", *scope, f"({query.where})"]
    params = [account_id, *scope_params, *query.params]
    return _page(tx, clauses, params, start_ms, end_ms, direction, limit, after)


def stats(
    tx: Tx,
    account_id: str,
    query: CompiledQuery,
    start_ms: int,
    end_ms: int,
    instance_id: str | None = None,
    limit: int = STATS_LIMIT,
) -> list[StatsRow]:
    """The query's stats stage (``count()`` alone when it has none): records per distinct value of
    the ``by`` fields, most first, ties in code-point order of the values; at most ``limit`` rows."""
    _plan_with_values(tx, query)
    scope, scope_params = _scope(instance_id)
    where = " AND ".join(
        ["account_id = ?", *scope, "event_time_ms >= ?", "event_time_ms < ?", f"({query.where})"]
    )
    params = [account_id, *scope_params, start_ms, end_ms, *query.params]
    columns = query.stats.columns if query.stats else ()
    if not columns:
        row = tx.one(f"SELECT COUNT(*) AS n FROM audit_records WHERE {where}", params)
        return [StatsRow((), int(row["n"]) if row else 0)]
    groups = ", ".join(f"{c.text} AS g{i}" for i, c in enumerate(columns))
    positions = ", ".join(str(i + 1) for i in range(len(columns)))
    backend = BACKENDS[query.dialect]
    order = ", ".join(f"{backend.code_point_order(f'g{i}')} NULLS LAST" for i in range(len(columns)))
    rows = tx.all(
        f"SELECT * FROM (SELECT {groups}, COUNT(*) AS n FROM audit_records WHERE {where} GROUP BY {positions}) "
        f"AS groups ORDER BY n DESC, {order} LIMIT ?",
        [*(p for c in columns for p in c.params), *params, limit],
    )
    return [StatsRow(tuple(_text(r[f"g{i}"]) for i in range(len(columns))), int(r["n"])) for r in rows]


def _scope(instance_id: str | None) -> tuple[list[str], list[Any]]:
    """The trail (every record) or one instance's log store."""
    return ([], []) if not instance_id else (["instance_id = ?"], [instance_id])


def _page(
    tx: Tx,
    clauses: list[str],
    params: list[Any],
    start_ms: int,
    end_ms: int,
    direction: Direction,
    limit: int,
    after: Cursor | None,
) -> Page:
    forward = direction is Direction.FORWARD
    if after is not None:
        # Past the cursor, as a narrower time range and the rows of its one millisecond left out:
        # a row-value comparison would lead SQLite's planner to the trail's index instead of the
        # attribute's (seen as a 10x slower second page of LookupEvents by EventName).
        if forward:
            start_ms = max(start_ms, after.event_time_ms)
            clauses.append("NOT (event_time_ms = ? AND seq <= ?)")
        else:
            end_ms = min(end_ms, after.event_time_ms + 1)
            clauses.append("NOT (event_time_ms = ? AND seq >= ?)")
        params += [after.event_time_ms, after.seq]
    clauses += ["event_time_ms >= ?", "event_time_ms < ?"]
    params += [start_ms, end_ms]
    order = "ASC" if forward else "DESC"
    rows = tx.all(
        f"{_SELECT} WHERE {' AND '.join(clauses)} ORDER BY event_time_ms {order}, seq {order} LIMIT ?",
        [*params, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = Cursor(rows[-1]["event_time_ms"], rows[-1]["seq"]) if more else None
    return Page([_record(r) for r in rows], last)


def _plan_with_values(tx: Tx, query: CompiledQuery) -> None:
    """Have PostgreSQL plan this transaction's statements for their values. The driver prepares a
    statement it has run a few times, and the server may then reuse one plan made without values;
    but an advanced query's best plan depends on them (a word in most records is read through the
    time index, a key id through the text index), and the one plan fits either badly."""
    if query.dialect == "postgresql":
        tx.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def _record(row: Row) -> AuditRecord:
    return AuditRecord.from_event(
        parse_json(row["record"]), event_time_ms=row["event_time_ms"], instance_id=row["instance_id"]
    )


def _lookup_column(key: str) -> str:
    try:
        return LOOKUP_COLUMNS[LookupKey(key)]
    except ValueError:
        known = ", ".join(LookupKey)
        raise InvalidLookupAttribute(f"LookupAttribute key {key[:40]!r} is not one of {known}") from None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- retention and size --------------------------------------------------------------------------


def delete_expired(
    tx: Tx,
    now_ms: int,
    management_days: int = MANAGEMENT_RETENTION_DAYS,
    instance_days: int = INSTANCE_RETENTION_DAYS,
    batch: int = 5000,
) -> int:
    """Delete records past retention: up to ``batch`` of each account's trail (older than
    ``management_days``) and of each instance's log store (older than ``instance_days``). Returns
    how many went; call again until it returns 0."""
    deleted = 0
    cutoff = now_ms - management_days * DAY_MS
    for account_id in _distinct(tx, "account_id", ""):
        deleted += tx.execute(
            "DELETE FROM audit_records WHERE seq IN (SELECT seq FROM audit_records "
            "WHERE account_id = ? AND instance_id = '' AND event_time_ms < ? LIMIT ?)",
            (account_id, cutoff, batch),
        )
    cutoff = now_ms - instance_days * DAY_MS
    for instance_id in _distinct(tx, "instance_id", " AND instance_id <> ''"):
        sizes = tx.all(
            "DELETE FROM audit_records WHERE seq IN (SELECT seq FROM audit_records "
            "WHERE instance_id = ? AND instance_id <> '' AND event_time_ms < ? LIMIT ?) RETURNING size_bytes",
            (instance_id, cutoff, batch),
        )
        if sizes:
            freed = sum(int(r["size_bytes"]) for r in sizes)
            tx.execute(
                "UPDATE audit_log_usage SET stored_bytes = stored_bytes - ? WHERE instance_id = ?",
                (freed, instance_id),
            )
            deleted += len(sizes)
    return deleted


def _distinct(tx: Tx, column: str, condition: str) -> list[str]:
    """Every value of an indexed column: one index probe per value rather than a scan of the rows.

    ``condition`` repeats a partial index's own condition, which is what lets the engine use it.
    """
    found: list[str] = []
    while True:
        row = tx.one(
            f"SELECT MIN({column}) AS v FROM audit_records WHERE {column} > ?{condition}",
            (found[-1] if found else "",),
        )
        if row is None or row["v"] is None:
            return found
        found.append(row["v"])


def instance_log_bytes(tx: Tx, instance_id: str) -> int:
    """The bytes of event JSON an instance's log store holds, summed from its records.

    Read from the instance index alone (no table rows), but in time proportional to the instance's
    records: the log quota reads the running total (``log_usage``) instead, which this checks.
    """
    row = tx.one(
        "SELECT COALESCE(SUM(size_bytes), 0) AS n FROM audit_records WHERE instance_id = ? AND instance_id <> ''",
        (instance_id,),
    )
    return int(row["n"]) if row else 0


def log_usage(tx: Tx, instance_id: str) -> int:
    """The running total of the bytes an instance's log store holds."""
    row = tx.one("SELECT stored_bytes FROM audit_log_usage WHERE instance_id = ?", (instance_id,))
    return int(row["stored_bytes"]) if row else 0


def claim_log_usage(tx: Tx, instance_id: str, dialect: str) -> int:
    """``log_usage``, with the total held until this transaction ends (on PostgreSQL another
    indexer adding to the same store waits; on SQLite the writer lock already serialises them)."""
    tx.execute(
        "INSERT INTO audit_log_usage (instance_id, stored_bytes) VALUES (?, 0) ON CONFLICT DO NOTHING",
        (instance_id,),
    )
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    row = tx.one(f"SELECT stored_bytes FROM audit_log_usage WHERE instance_id = ?{lock}", (instance_id,))
    return int(row["stored_bytes"]) if row else 0


def set_log_usage(tx: Tx, instance_id: str, stored_bytes: int) -> None:
    tx.execute(
        "UPDATE audit_log_usage SET stored_bytes = ? WHERE instance_id = ?", (stored_bytes, instance_id)
    )


def log_usages(tx: Tx) -> dict[str, int]:
    """Every instance's running total."""
    return {r["instance_id"]: int(r["stored_bytes"]) for r in tx.all("SELECT * FROM audit_log_usage")}


def row_instance(row: RecordRow) -> str:
    """The instance whose log store an encoded record goes to ("" for the account's trail)."""
    return str(row[_INSTANCE])


def row_size(row: RecordRow) -> int:
    return int(row[_SIZE])


def to_trail(row: RecordRow) -> RecordRow:
    """An encoded record moved from its instance's log store to the account's trail."""
    return (*row[:_INSTANCE], "", *row[_INSTANCE + 1 :])


_INSTANCE = _INSERT_COLUMNS.index("instance_id")
_SIZE = _INSERT_COLUMNS.index("size_bytes")
