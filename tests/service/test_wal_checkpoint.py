"""The SQLite write-ahead log is checkpointed by a thread of its own, and stays bounded without it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from vigil.storage import checkpoint
from vigil.storage.checkpoint import Checkpointer
from vigil.storage.engine import SqliteDatabase
from vigil.storage.migrations import migrate

ROW = "x" * 3000  # about one page per row


def _fill(db: SqliteDatabase, first: int, rows: int, per_tx: int = 50) -> None:
    for start in range(first, first + rows, per_tx):
        with db.transaction() as tx:
            tx.insert_many(
                "meta",
                ("name", "value"),
                [(f"row-{i}", ROW) for i in range(start, min(start + per_tx, first + rows))],
            )


def _database_pages(path: Path) -> int:
    """Pages in the database file itself: a commit goes to the log, only a checkpoint copies it here."""
    return path.stat().st_size // 4096


def test_writers_leave_checkpoints_to_the_thread_up_to_the_backstop(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "vigil.db")
    try:
        migrate(db)
        with db.transaction(write=False) as tx:
            assert tx.one("PRAGMA wal_autocheckpoint") == {"wal_autocheckpoint": checkpoint.BACKSTOP_PAGES}
        before = _database_pages(db.path)
        _fill(db, 0, 1500)  # past SQLite's default of 1,000 pages, below the backstop
        # no writer checkpointed (one would have at 1,000 pages): every page is still in the log
        assert _database_pages(db.path) == before
        assert (tmp_path / "vigil.db-wal").stat().st_size > 1500 * 4096
        probe = Checkpointer(db.path)
        try:
            done = probe.run_once()  # what the thread does each time
        finally:
            probe.close()
        assert done.log_pages >= 1500 and done.complete and not done.busy
        assert _database_pages(db.path) >= before + 1500
    finally:
        db.close()


def test_the_thread_copies_the_log_while_writers_go_on(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "vigil.db")
    try:
        migrate(db)
        db.start_checkpointing()
        db.start_checkpointing()  # a second start is a no-op
        threads = [threading.Thread(target=_fill, args=(db, n * 10_000, 400)) for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # 1,200 pages: below the backstop, so no writer checkpoints; only the thread copies them
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _database_pages(db.path) < 1200:
            time.sleep(checkpoint.INTERVAL_S)
        assert _database_pages(db.path) >= 1200
        names = {t.name for t in threading.enumerate()}
        assert "vigil-wal-checkpoint" in names
        with db.transaction(write=False) as tx:
            assert tx.one("SELECT COUNT(*) AS n FROM meta WHERE name LIKE 'row-%'") == {"n": 1200}
    finally:
        db.close()
    assert "vigil-wal-checkpoint" not in {t.name for t in threading.enumerate()}


def test_under_writes_that_never_pause_the_log_stays_near_the_backstop(tmp_path: Path) -> None:
    """A checkpoint beside busy writers rarely finds the log fully copied, so the log could only
    grow; past the backstop a writer finishes the copy itself and the log starts over."""
    db = SqliteDatabase(tmp_path / "vigil.db")
    stop = threading.Event()
    try:
        migrate(db)
        db.start_checkpointing()
        largest = 0

        def write(n: int) -> None:
            while not stop.is_set():
                _fill(db, n, 20, per_tx=20)
                n += 20

        writers = [threading.Thread(target=write, args=(k * 10_000_000,)) for k in range(2)]
        for w in writers:
            w.start()
        wal = tmp_path / "vigil.db-wal"
        written = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and written < 3 * checkpoint.BACKSTOP_PAGES:
            time.sleep(0.05)
            largest = max(largest, wal.stat().st_size if wal.exists() else 0)
            written = _database_pages(db.path)
        stop.set()
        for w in writers:
            w.join()
        assert written >= 3 * checkpoint.BACKSTOP_PAGES, "the writers wrote too little to tell"
        # the log file grew past the backstop by at most what these writers append between two
        # passes of the thread (they write far faster than a server: about 100 MB/s here)
        assert largest < 2 * checkpoint.BACKSTOP_PAGES * 4200
    finally:
        stop.set()
        db.close()
