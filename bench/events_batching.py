"""What-ifs for the ingest target: the same EventCenter batches written the ways this benchmark
proposes, through a Database of its own over the store under test.

- ``batched``: each transaction's run of identical INSERT statements goes out as one
  ``executemany`` (psycopg pipelines it: one network round trip per batch instead of one per
  event; sqlite3 steps one prepared statement), the change proposed for ``store.insert_events``.
- ``ordered_ids``: each system event's id is made time-ordered (the UUID version 7 layout: the
  event's time in ms, then random bits) as the INSERT goes out, so the unique index on event_id
  grows at its end instead of at a random leaf, the change proposed for ``EventCenter.raise_event``.

None of this is Vigil's code path today; it only puts numbers on the proposals.
"""

from __future__ import annotations

import random
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]
_INSERT = re.compile(r"\s*INSERT INTO (\w+) \(([^)]*)\)", re.IGNORECASE)


def ordered_uuid(time_ms: int, rng: random.Random) -> str:
    """A UUID laid out as version 7: 48 bits of ms time, the version, then random bits."""
    value = (time_ms & (2**48 - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62
    return str(uuid.UUID(int=value | rng.getrandbits(62)))


class _ProposedTx:
    """A Tx (vigil.storage.engine) that writes INSERTs the proposed ways and runs anything else as is."""

    def __init__(
        self,
        many: Callable[[str, list[Sequence[Any]]], None],
        run: Callable[[str, Sequence[Any]], list[Row]],
        *,
        batched: bool,
        ordered_ids: bool,
        rng: random.Random,
    ) -> None:
        self._many, self._run = many, run
        self._batched, self._ordered_ids, self._rng = batched, ordered_ids, rng
        self._sql: str | None = None
        self._rows: list[Sequence[Any]] = []
        self._callbacks: list[Callable[[], None]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        insert = _INSERT.match(sql)
        if insert is None:
            self.flush()
            self._run(sql, params)
            return 0
        if self._ordered_ids and insert.group(1) == "system_events":
            params = self._with_ordered_id(insert.group(2), params)
        if not self._batched:
            self._run(sql, params)
            return 1
        if sql != self._sql:
            self.flush()
            self._sql = sql
        self._rows.append(params)
        return 1

    def _with_ordered_id(self, columns: str, params: Sequence[Any]) -> list[Any]:
        names = [c.strip() for c in columns.split(",")]
        changed = list(params)
        changed[names.index("event_id")] = ordered_uuid(changed[names.index("time_ms")], self._rng)
        return changed

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.flush()
        return self._run(sql, params)

    def on_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def flush(self) -> None:
        if self._sql is not None and self._rows:
            self._many(self._sql, self._rows)
        self._sql, self._rows = None, []

    def committed(self) -> None:
        for callback in self._callbacks:
            callback()


class ProposedWrites:
    """The Database protocol over one connection of its own to an existing, migrated store."""

    def __init__(self, dialect: str, target: str | Path, *, batched: bool, ordered_ids: bool) -> None:
        self.dialect = dialect
        self._batched, self._ordered_ids, self._rng = batched, ordered_ids, random.Random(7)
        self._tx: _ProposedTx | None = None
        if dialect == "sqlite":
            self._sqlite = sqlite3.connect(target, isolation_level=None)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=NORMAL")  # as vigil.storage.engine sets it
        else:
            self._pg = psycopg.connect(str(target), autocommit=True, row_factory=dict_row)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_ProposedTx]:
        if self._tx is not None:
            yield self._tx
            return
        with self._driver_transaction() as (many, run):
            tx = self._tx = _ProposedTx(
                many, run, batched=self._batched, ordered_ids=self._ordered_ids, rng=self._rng
            )
            try:
                yield tx
                tx.flush()
            finally:
                self._tx = None
        tx.committed()

    @contextmanager
    def _driver_transaction(self) -> Iterator[tuple[Callable[..., None], Callable[..., list[Row]]]]:
        if self.dialect == "sqlite":
            conn = self._sqlite

            def many_rows(sql: str, rows: list[Sequence[Any]]) -> None:
                conn.executemany(sql, rows)

            conn.execute("BEGIN IMMEDIATE")
            try:
                yield many_rows, lambda sql, params: _sqlite_rows(conn.execute(sql, params))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        pg = self._pg
        with pg.transaction(), pg.cursor() as cursor:

            def many(sql: str, rows: list[Sequence[Any]]) -> None:
                cursor.executemany(sql.replace("?", "%s"), rows)

            def run(sql: str, params: Sequence[Any]) -> list[Row]:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []

            yield many, run

    def close(self) -> None:
        if self.dialect == "sqlite":
            self._sqlite.close()
        else:
            self._pg.close()


def _sqlite_rows(cursor: sqlite3.Cursor) -> list[Row]:
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
