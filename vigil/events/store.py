"""SQL for system and custom events: insert, filtered pages, counts, histograms, tailing, retention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vigil.events.model import CustomEvent, SystemEvent, compact_json, parse_json
from vigil.events.query import EventFilter, Keywords
from vigil.storage.engine import Row, Tx

_COLUMNS = (
    "seq, event_id, account_id, product, name, level, event_type, status, group_id, resource_id, instance_name, "
    "region_id, time_ms, content, is_drill, source"
)


def _event(r: Row) -> SystemEvent:
    return SystemEvent(
        r["event_id"],
        r["account_id"],
        r["product"],
        r["name"],
        r["level"],
        r["event_type"],
        r["status"],
        r["group_id"],
        r["resource_id"],
        r["instance_name"],
        r["region_id"],
        r["time_ms"],
        parse_json(r["content"]),  # orjson: the dispatcher reads a batch of events per pass
        bool(r["is_drill"]),
        r["source"],
        r["seq"],
    )


_INSERT_COLUMNS = (
    "event_id",
    "account_id",
    "product",
    "product_key",
    "name",
    "level",
    "event_type",
    "status",
    "group_id",
    "resource_id",
    "instance_name",
    "region_id",
    "time_ms",
    "content",
    "search_text",
    "is_drill",
    "source",
)
_INSERT = (
    f"INSERT INTO system_events ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _INSERT_COLUMNS)})"
)


def _row(e: SystemEvent) -> tuple[Any, ...]:
    content = compact_json(e.content)
    return (
        e.event_id,
        e.account_id,
        e.product,
        e.product.lower(),
        e.name,
        e.level,
        e.event_type,
        e.status,
        e.group_id,
        e.resource_id,
        e.instance_name,
        e.region_id,
        e.time_ms,
        content,
        e.search_text(content),
        int(e.is_drill),
        e.source,
    )


EventRow = tuple[Any, ...]
_SEARCH_TEXT = _INSERT_COLUMNS.index("search_text")


def search_text_of(row: EventRow) -> str:
    """The event's keyword text, as its row holds it (``SystemEvent.search_text``)."""
    text: str = row[_SEARCH_TEXT]
    return text


def event_rows(events: Sequence[SystemEvent]) -> list[EventRow]:
    """The rows ``insert_rows`` writes, encoded beforehand (outside the write lock)."""
    return [_row(e) for e in events]


def insert_rows(tx: Tx, rows: Sequence[EventRow]) -> None:
    """Write encoded events as one batch (a single event as one statement)."""
    if len(rows) == 1:
        tx.execute(_INSERT, rows[0])
    elif rows:
        tx.insert_many("system_events", _INSERT_COLUMNS, rows)


def _where(account_id: str, f: EventFilter) -> tuple[str, list[Any]]:
    clauses, params = ["account_id = ?", "time_ms >= ?", "time_ms < ?"], [account_id, f.start_ms, f.end_ms]
    exact = (
        ("product_key", f.product.lower() if f.product else None),
        ("event_type", f.event_type),
        ("name", f.name),
        ("level", f.level),
        ("group_id", f.group_id),
    )
    for column, value in exact:
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.status is not None:  # the catalog writes both "normal" and "Normal"
        clauses.append("LOWER(status) = ?")
        params.append(f.status.lower())
    if f.keywords is not None:
        clause, words = _keyword_clause(f.keywords)
        clauses.append(clause)
        params.extend(words)
    return " AND ".join(clauses), params


def _keyword_clause(k: Keywords) -> tuple[str, list[str]]:
    joiner = " AND " if k.all_of else " OR "
    words = [f"%{_escape(w.lower())}%" for w in k.words]
    return "(" + joiner.join("search_text LIKE ? ESCAPE '\\'" for _ in words) + ")", words


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page(tx: Tx, account_id: str, f: EventFilter, offset: int, limit: int) -> list[SystemEvent]:
    clause, params = _where(account_id, f)
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM system_events WHERE {clause} ORDER BY time_ms DESC, seq DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_event(r) for r in rows]


def counts(tx: Tx, account_id: str, f: EventFilter) -> list[tuple[SystemEvent, int]]:
    """One row per (product, name, level, status, group): the newest event of the group and its count."""
    clause, params = _where(account_id, f)
    rows = tx.all(
        f"SELECT product, name, level, status, group_id, COUNT(*) AS n, MAX(seq) AS newest FROM system_events "
        f"WHERE {clause} GROUP BY product, name, level, status, group_id ORDER BY n DESC, name",
        params,
    )
    out = []
    for r in rows:
        newest = tx.one(f"SELECT {_COLUMNS} FROM system_events WHERE seq = ?", (r["newest"],))
        if newest is not None:
            out.append((_event(newest), int(r["n"])))
    return out


def histogram(tx: Tx, account_id: str, f: EventFilter, bucket_ms: int) -> dict[int, int]:
    """Event counts per bucket start (ms), for buckets aligned to the filter's start time."""
    clause, params = _where(account_id, f)
    rows = tx.all(
        f"SELECT (time_ms - ?) / ? AS bucket, COUNT(*) AS n FROM system_events WHERE {clause} GROUP BY bucket",
        [f.start_ms, bucket_ms, *params],
    )
    return {f.start_ms + int(r["bucket"]) * bucket_ms: int(r["n"]) for r in rows}


def after(tx: Tx, account_id: str, seq: int, limit: int) -> list[SystemEvent]:
    """Events with a sequence number above ``seq``, oldest first (the live stream's tail)."""
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM system_events WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        (account_id, seq, limit),
    )
    return [_event(r) for r in rows]


def seq_at(tx: Tx, account_id: str, time_ms: int) -> int:
    """The sequence number of the newest event before ``time_ms`` (to resume a stream from a time).

    One step backwards along (account_id, time_ms, seq) instead of a MAX over every older event.
    """
    row = tx.one(
        "SELECT seq FROM system_events WHERE account_id = ? AND time_ms < ? ORDER BY time_ms DESC, seq DESC "
        "LIMIT 1",
        (account_id, time_ms),
    )
    return 0 if row is None else int(row["seq"])


def newest_seq(tx: Tx, account_id: str) -> int:
    """The account's highest sequence number (to stream from now)."""
    row = tx.one("SELECT MAX(seq) AS s FROM system_events WHERE account_id = ?", (account_id,))
    return 0 if row is None or row["s"] is None else int(row["s"])


def event_by_id(tx: Tx, event_id: str) -> SystemEvent | None:
    r = tx.one(f"SELECT {_COLUMNS} FROM system_events WHERE event_id = ?", (event_id,))
    return None if r is None else _event(r)


def events_by_ids(tx: Tx, event_ids: Sequence[str]) -> dict[str, SystemEvent]:
    """The stored events among ``event_ids``, by id, read in one query per 500 ids."""
    found: dict[str, SystemEvent] = {}
    unique = list(dict.fromkeys(event_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        for r in tx.all(f"SELECT {_COLUMNS} FROM system_events WHERE event_id IN ({marks})", chunk):
            event = _event(r)
            found[event.event_id] = event
    return found


def custom_by_id(tx: Tx, event_id: str) -> CustomEvent | None:
    r = tx.one("SELECT * FROM custom_events WHERE event_id = ?", (event_id,))
    if r is None:
        return None
    return CustomEvent(
        r["event_id"], r["account_id"], r["name"], r["group_id"], r["content"], r["time_ms"], r["seq"]
    )


def seq_of(tx: Tx, event_id: str) -> int | None:
    row = tx.one("SELECT seq FROM system_events WHERE event_id = ?", (event_id,))
    return None if row is None else int(row["seq"])


def delete_before(tx: Tx, time_ms: int, limit: int) -> int:
    """Remove up to ``limit`` of the oldest events older than ``time_ms``."""
    return tx.execute(
        "DELETE FROM system_events WHERE seq IN (SELECT seq FROM system_events WHERE time_ms < ? "
        "ORDER BY time_ms LIMIT ?)",
        (time_ms, limit),
    )


# -- custom events ---------------------------------------------------------------------------


def insert_custom(tx: Tx, e: CustomEvent) -> None:
    tx.execute(
        "INSERT INTO custom_events (event_id, account_id, name, group_id, content, time_ms, search_text) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (e.event_id, e.account_id, e.name, e.group_id, e.content, e.time_ms, f"{e.name} {e.content}".lower()),
    )


def custom_page(
    tx: Tx,
    account_id: str,
    name: str | None,
    event_id: str | None,
    group_id: str | None,
    keywords: Keywords | None,
    start_ms: int,
    end_ms: int,
    offset: int,
    limit: int,
) -> list[CustomEvent]:
    clauses, params = ["account_id = ?", "time_ms >= ?", "time_ms < ?"], [account_id, start_ms, end_ms]
    for column, value in (("name", name), ("event_id", event_id), ("group_id", group_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if keywords is not None:
        clause, words = _keyword_clause(keywords)
        clauses.append(clause)
        params.extend(words)
    rows = tx.all(
        f"SELECT * FROM custom_events WHERE {' AND '.join(clauses)} ORDER BY time_ms DESC, seq DESC "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [
        CustomEvent(
            r["event_id"], r["account_id"], r["name"], r["group_id"], r["content"], r["time_ms"], r["seq"]
        )
        for r in rows
    ]


def delete_custom_before(tx: Tx, time_ms: int, limit: int) -> int:
    return tx.execute(
        "DELETE FROM custom_events WHERE seq IN (SELECT seq FROM custom_events WHERE time_ms < ? "
        "ORDER BY time_ms LIMIT ?)",
        (time_ms, limit),
    )
