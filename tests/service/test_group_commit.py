"""Group commit on both backends: concurrent writes share transactions, every one commits or fails
on its own, and a write made inside an open transaction commits with it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.storage.engine import Conflict, Database, SqliteDatabase, Tx
from vigil.storage.group_commit import GroupCommit
from vigil.storage.migrations import migrate

TABLE = "CREATE TABLE IF NOT EXISTS gc_rows (name TEXT PRIMARY KEY, writer INTEGER NOT NULL)"


def _names(db: Database) -> set[str]:
    with db.transaction(write=False) as tx:
        return {r["name"] for r in tx.all("SELECT name FROM gc_rows")}


def _insert(name: str, writer: int, committed: list[str] | None = None) -> Callable[[Tx], str]:
    def write(tx: Tx) -> str:
        tx.execute("INSERT INTO gc_rows (name, writer) VALUES (?, ?)", (name, writer))
        if committed is not None:
            tx.on_commit(lambda: committed.append(name))
        return name

    return write


def test_concurrent_writes_each_commit_once_with_their_callbacks(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(TABLE)
    group = GroupCommit(database)
    committed: list[str] = []
    results: list[str] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        start.wait()
        for i in range(25):
            results.append(group.run(_insert(f"w{n}-{i}", n, committed)))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = {f"w{n}-{i}" for n in range(8) for i in range(25)}
    assert set(results) == expected
    assert _names(database) == expected
    assert sorted(committed) == sorted(expected)  # each write's after-commit callback ran once


def test_a_failing_write_fails_alone_and_the_others_of_its_group_commit(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(TABLE)
        tx.execute("INSERT INTO gc_rows (name, writer) VALUES ('taken', 0)")
    group = GroupCommit(database)
    outcomes: dict[str, str] = {}
    start = threading.Barrier(6)

    def writer(name: str) -> None:
        start.wait()
        try:
            group.run(_insert(name, 1))
            outcomes[name] = "ok"
        except Conflict:
            outcomes[name] = "conflict"

    names = ["a", "b", "taken", "c", "d", "e"]
    threads = [threading.Thread(target=writer, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {n: ("conflict" if n == "taken" else "ok") for n in names}
    assert _names(database) == {"taken", "a", "b", "c", "d", "e"}


def test_inside_an_open_transaction_the_write_joins_it(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(TABLE)
    group = GroupCommit(database)
    with pytest.raises(RuntimeError), database.transaction():
        group.run(_insert("joined", 1))
        raise RuntimeError("the caller's transaction rolls back")
    assert _names(database) == set()


def test_sqlite_writers_of_two_connections_take_turns_without_busy_errors(tmp_path: Path) -> None:
    first, second = SqliteDatabase(tmp_path / "v.db"), SqliteDatabase(tmp_path / "v.db")
    migrate(first)
    with first.transaction() as tx:
        tx.execute(TABLE)

    def writer(db: Database, n: int) -> None:
        for i in range(100):
            with db.transaction() as tx:
                tx.execute("INSERT INTO gc_rows (name, writer) VALUES (?, ?)", (f"{n}-{i}", n))

    threads = [threading.Thread(target=writer, args=(db, n)) for n, db in enumerate([first, second] * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_names(first)) == 400
    first.close()
    second.close()


def test_writes_queued_while_the_leader_waits_for_the_lock_join_its_group(tmp_path: Path) -> None:
    """The group is taken once the write lock is held, so writers that arrive while another
    process holds the lock share the leader's transaction instead of queueing behind it."""
    ours, other = SqliteDatabase(tmp_path / "v.db"), SqliteDatabase(tmp_path / "v.db")
    migrate(ours)
    with ours.transaction() as tx:
        tx.execute(TABLE)
    group = GroupCommit(ours)
    transactions: dict[str, Tx] = {}

    def write(name: str) -> Callable[[Tx], str]:
        def run(tx: Tx) -> str:
            tx.execute("INSERT INTO gc_rows (name, writer) VALUES (?, 1)", (name,))
            transactions[name] = tx
            return name

        return run

    holding, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        with other.transaction():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert holding.wait(10)
    leader = threading.Thread(target=group.run, args=(write("leader"),))
    leader.start()
    time.sleep(0.2)  # the leader is waiting for the lock the other connection holds
    followers = [threading.Thread(target=group.run, args=(write(f"f{n}"),)) for n in range(3)]
    for t in followers:
        t.start()
    time.sleep(0.3)
    assert not transactions, "nothing is written while the other connection holds the lock"
    release.set()
    for t in [holder, leader, *followers]:
        t.join(10)
    assert _names(ours) == {"leader", "f0", "f1", "f2"}
    assert len({id(tx) for tx in transactions.values()}) == 1, "all four shared one transaction"
    ours.close()
    other.close()


def test_a_writer_queued_behind_more_than_a_group_still_commits(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute(TABLE)
    group = GroupCommit(database, max_group=2)
    results: list[str] = []
    start = threading.Barrier(7)

    def writer(n: int) -> None:
        start.wait()
        results.append(group.run(_insert(f"w{n}", n)))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted(f"w{n}" for n in range(7))
    assert _names(database) == {f"w{n}" for n in range(7)}
