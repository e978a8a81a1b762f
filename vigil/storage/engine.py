"""Connections and transactions for SQLite (embedded, WAL) and PostgreSQL (multi-node).

SQL is written once with ``?`` placeholders; the PostgreSQL side rewrites them. Driver
exceptions are translated into the shared error tree here, so none reaches a service.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import psycopg
import psycopg.errors
import psycopg_pool
from psycopg.rows import dict_row

from vigil.errors import AlreadyExists, FailedPrecondition, Internal, Unavailable
from vigil.storage import checkpoint

Row = dict[str, Any]
log = logging.getLogger("vigil.storage")


class Conflict(AlreadyExists):
    """A unique or primary key constraint was violated."""


class Tx(Protocol):
    """One open transaction."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters (PostgreSQL pipelines them: one round trip)."""
        ...

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a table as fast as the engine allows (COPY on PostgreSQL)."""
        ...

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never if it rolls back)."""
        ...


class Database(Protocol):
    dialect: str

    def transaction(self, *, write: bool = True) -> Any:
        """A context manager yielding a Tx; commits on success, rolls back on error."""
        ...

    def in_transaction(self) -> bool:
        """Whether this thread has a transaction open (a new ``transaction`` would join it)."""
        ...

    def close(self) -> None: ...


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class _Callbacks:
    __slots__ = ("callbacks",)

    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def committed(self) -> None:
        for callback in self.callbacks:
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed")


class _SqliteTx(_Callbacks):
    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with _translated():
            return self._conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with _translated():
            self._conn.executemany(sql, rows)

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # Multi-row INSERTs rather than executemany: the sqlite3 module lets go of the GIL for every
        # step, and each time it wants the GIL back it may wait out another thread's switch
        # interval (5 ms), while this thread holds the write lock. One statement per chunk is one
        # step: rows of a batch cost one such wait, not one each.
        per = max(1, min(_ROWS_PER_INSERT, _SQLITE_MAX_VARIABLES // max(1, len(columns))))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            sql = _multi_row_insert(table, tuple(columns), len(chunk))
            self.execute(sql, [value for row in chunk for value in row])

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with _translated():
            row: Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _translated():
            return self._conn.execute(sql, params).fetchall()


_SQLITE_MAX_VARIABLES = 32_766
"""Bound parameters per statement (SQLite 3.32 and later)."""
_ROWS_PER_INSERT = 500


@lru_cache(maxsize=256)
def _multi_row_insert(table: str, columns: tuple[str, ...], rows: int) -> str:
    values = "(" + ", ".join("?" for _ in columns) + ")"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([values] * rows)}"


class _WriterTurn:
    """Writers queue here before BEGIN IMMEDIATE: a thread lock within the process, an exclusive
    ``flock`` on ``<database>-writer`` between processes (uvicorn workers, the CLI).

    SQLite's own busy handler makes a blocked writer sleep and retry (up to 100 ms a nap), so
    under contention writers idle while the database is free; a blocked lock call wakes the moment
    the holder lets go. The flock is released by the kernel if the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread = threading.Lock()
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._thread:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class SqliteDatabase:
    """One connection per thread; writers take turns (``_WriterTurn``), then BEGIN IMMEDIATE (WAL
    lets readers go on meanwhile)."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writers = _WriterTurn(path.with_name(path.name + "-writer"))
        self._checkpointer: checkpoint.Checkpointer | None = None

    def start_checkpointing(self) -> None:
        """Checkpoint the log on a thread of this process (see ``checkpoint``); one process of a
        server does, the one that runs the periodic jobs."""
        with self._lock:
            if self._checkpointer is None:
                self._checkpointer = checkpoint.Checkpointer(self.path, writers_excluded=self._writers.held)
            self._checkpointer.start()

    def _borrow(self) -> sqlite3.Connection:
        """An idle connection, or a new one. Connections are lent per transaction, not kept per
        thread: the server's request threads come and go (anyio ends one idle for 10 s), and a
        connection per thread ever started kept its file descriptors and page cache until close."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = _dict_row
        # WAL + NORMAL survives kill -9 of the process: a commit is in the WAL file
        # before COMMIT returns; only an operating-system crash could lose the tail.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute(f"PRAGMA wal_autocheckpoint={checkpoint.BACKSTOP_PAGES}")
        with self._lock:
            self._all.append(conn)
        return conn

    def _give_back(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # a COMMIT that failed: never lend out a transaction left open
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                with self._lock:
                    self._all.remove(conn)
                conn.close()
                return
        with self._lock:
            self._idle.append(conn)

    def in_transaction(self) -> bool:
        return getattr(self._local, "tx", None) is not None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A new transaction, or the one this thread already has open (it commits at the outer end)."""
        joined: Tx | None = getattr(self._local, "tx", None)
        if joined is not None:
            yield joined
            return
        conn = self._borrow()
        try:
            with self._writers.held() if write else nullcontext():
                with _translated():
                    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                tx = self._local.tx = _SqliteTx(conn)
                try:
                    yield tx
                except BaseException:
                    self._local.tx = None
                    conn.execute("ROLLBACK")
                    raise
                self._local.tx = None
                with _translated():
                    conn.execute("COMMIT")
        finally:
            self._give_back(conn)
        tx.committed()

    def close(self) -> None:
        with self._lock:
            checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.close()
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._idle.clear()
        self._writers.close()


@lru_cache(maxsize=4096)
def _pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _PostgresTx(_Callbacks):
    __slots__ = ("_conn",)

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        super().__init__()
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with _translated():
            return self._conn.execute(_pg_sql(sql), params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with _translated(), self._conn.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), rows)

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # COPY streams every row in one command: no per-row statement on either side.
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with _translated(), self._conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with _translated():
            return self._conn.execute(_pg_sql(sql), params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with _translated():
            return self._conn.execute(_pg_sql(sql), params).fetchall()


class PostgresDatabase:
    """A connection pool; every transaction takes one connection."""

    dialect = "postgresql"

    def __init__(self, url: str, *, max_size: int = 10) -> None:
        try:
            self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Row]] = psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"row_factory": dict_row, "autocommit": True},
                open=False,
            )
            self._pool.open(wait=True, timeout=15)
            self._local = threading.local()
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            raise Unavailable(f"cannot connect to PostgreSQL: {type(exc).__name__}") from None

    def in_transaction(self) -> bool:
        return getattr(self._local, "tx", None) is not None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A new transaction, or the one this thread already has open (it commits at the outer end)."""
        joined: Tx | None = getattr(self._local, "tx", None)
        if joined is not None:
            yield joined
            return
        with _translated(), self._pool.connection() as conn:
            with conn.transaction():
                tx = self._local.tx = _PostgresTx(conn)
                try:
                    yield tx
                finally:
                    self._local.tx = None
            tx.committed()

    def close(self) -> None:
        self._pool.close()


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except (sqlite3.IntegrityError, psycopg.errors.UniqueViolation) as exc:
        raise Conflict(f"constraint violated: {_first_line(exc)}") from None
    except psycopg.errors.IntegrityError as exc:
        raise FailedPrecondition(f"constraint violated: {_first_line(exc)}") from None
    except psycopg.OperationalError as exc:
        raise Unavailable(f"storage unavailable: {_first_line(exc)}") from None
    except sqlite3.OperationalError as exc:
        if any(word in str(exc) for word in _SQLITE_TRANSIENT):
            raise Unavailable(f"storage unavailable: {_first_line(exc)}") from None
        raise Internal(f"storage error: {_first_line(exc)}") from None
    except (sqlite3.Error, psycopg.Error) as exc:
        raise Internal(f"storage error: {_first_line(exc)}") from None


_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk", "readonly", "I/O")


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def connect(url: str | None, data_dir: Path) -> Database:
    """PostgreSQL when a URL is given, else SQLite in ``data_dir/vigil.db``."""
    if url:
        return PostgresDatabase(url)
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(data_dir / "vigil.db")
