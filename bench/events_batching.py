"""A what-if for the ingest target: the same EventCenter batches, with each transaction's run of
identical INSERT statements sent as one ``executemany``, the change this benchmark proposes for
``store.insert_events`` (and ``EventCenter.ingest``).

psycopg pipelines an executemany (one network round trip per batch instead of one per event);
sqlite3 steps one prepared statement. This is not Vigil's code path today: it runs on a scratch
store, only to put a number on the proposal.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]


class _PendingInserts:
    """A Tx (vigil.storage.engine) that holds back consecutive identical INSERTs and sends them at once."""

    def __init__(self, many: Callable[[str, list[Sequence[Any]]], None], run: Callable[..., list[Row]]):
        self._many, self._run = many, run
        self._sql: str | None = None
        self._rows: list[Sequence[Any]] = []
        self._callbacks: list[Callable[[], None]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        if not sql.lstrip().upper().startswith("INSERT"):
            self.flush()
            self._run(sql, params)
            return 0
        if sql != self._sql:
            self.flush()
            self._sql = sql
        self._rows.append(params)
        return 1

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


class ExecutemanyDatabase:
    """The Database protocol over one connection of its own, to a store migrated beforehand."""

    def __init__(self, dialect: str, target: str | Path) -> None:
        self.dialect = dialect
        self._tx: _PendingInserts | None = None
        if dialect == "sqlite":
            self._sqlite = sqlite3.connect(target, isolation_level=None)
            self._sqlite.execute("PRAGMA journal_mode=WAL")
            self._sqlite.execute("PRAGMA synchronous=NORMAL")  # as vigil.storage.engine sets it
        else:
            self._pg = psycopg.connect(str(target), autocommit=True, row_factory=dict_row)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_PendingInserts]:
        if self._tx is not None:
            yield self._tx
            return
        with self._driver_transaction() as (many, run):
            tx = self._tx = _PendingInserts(many, run)
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
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.executemany, lambda sql, params: _sqlite_rows(conn.execute(sql, params))
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
