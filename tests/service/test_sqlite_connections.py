"""SQLite connections are lent per transaction: threads that come and go leave none behind, and a
transaction whose COMMIT failed does not leave its connection in a transaction."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from vigil.storage.engine import Conflict, SqliteDatabase
from vigil.storage.migrations import migrate


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_threads_that_come_and_go_leave_no_connections_behind(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "vigil.db")
    try:
        migrate(db)

        def work(n: int) -> None:
            with db.transaction() as tx:
                tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (f"t{n}", "v"))
            with db.transaction(write=False) as tx:
                assert tx.one("SELECT value FROM meta WHERE name = ?", (f"t{n}",)) == {"value": "v"}

        work(0)
        before = _open_files()
        for n in range(1, 41):  # one short-lived thread after another, as a request pool prunes them
            t = threading.Thread(target=work, args=(n,))
            t.start()
            t.join()
        assert _open_files() <= before + 2  # a connection per thread would hold 2-3 files each
    finally:
        db.close()


def test_a_failed_commit_leaves_the_connection_usable(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "vigil.db")
    try:
        with db.transaction() as tx:
            tx.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            tx.execute(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
            )
        with pytest.raises(Conflict), db.transaction() as tx:
            tx.execute("INSERT INTO child (parent_id) VALUES (7)")  # checked only at COMMIT
        with db.transaction() as tx:  # the same connection, back in the pool, starts afresh
            tx.execute("INSERT INTO parent (id) VALUES (7)")
            tx.execute("INSERT INTO child (parent_id) VALUES (7)")
        with db.transaction(write=False) as tx:
            assert tx.all("SELECT parent_id FROM child") == [{"parent_id": 7}]
    finally:
        db.close()
