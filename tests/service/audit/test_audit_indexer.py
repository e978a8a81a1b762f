"""Indexing the journal: every line becomes exactly one record however many indexers race over it
(each reads and converts its chunk before taking the write lock, then checks nobody moved the
offset meanwhile), the backlog figures say what is left, and a pacer that says "wait" delays the
indexing thread but never a reader."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.service.audit.audit_seeds import seed_records
from vigil.audit.indexer import Indexer, encode
from vigil.audit.jobs import IndexerThread
from vigil.audit.journal import Journal
from vigil.audit.pacing import IndexPacer, Pacing
from vigil.storage.engine import Database


def _event_ids(db: Database) -> list[str]:
    with db.transaction(write=False) as tx:
        return [r["event_id"] for r in tx.all("SELECT event_id FROM audit_records")]


def test_racing_indexers_copy_every_line_exactly_once(database: Database, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    records = list(seed_records().values())
    indexers = [Indexer(database, journal) for _ in range(3)]
    errors: list[BaseException] = []

    def index(indexer: Indexer) -> None:
        try:
            for _ in range(20):
                indexer.catch_up()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    for start in range(0, len(records), 7):  # lines keep arriving while the indexers run
        journal.write([encode(r) for r in records[start : start + 7]])
        threads = [threading.Thread(target=index, args=(i,)) for i in indexers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    stored = _event_ids(database)
    assert sorted(stored) == sorted(r.event_id for r in records), "each line once, none lost"
    assert all(i.backlog_bytes() == 0 for i in indexers[:1]) and indexers[0].unindexed_bytes() == 0
    journal.close()


class Saturated:
    def idle_share(self) -> float | None:
        return 0.0


def test_a_waiting_indexer_thread_leaves_the_backlog_and_a_reader_still_finds_every_record(
    database: Database, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal")
    indexer = Indexer(database, journal)
    records = list(seed_records().values())[:5]
    journal.write([encode(r) for r in records])
    assert indexer.unindexed_bytes() > 0 and indexer.backlog_bytes() == indexer.unindexed_bytes()

    pacer = IndexPacer(Saturated(), indexer.backlog_bytes, Pacing(max_lag_s=3600, max_lag_bytes=1 << 30))

    class Trail:  # what IndexerThread asks of the trail
        def catch_up(self) -> int:
            return indexer.catch_up()

    thread = IndexerThread(Trail(), pacer, poll_s=0.01)  # type: ignore[arg-type]
    thread.start()
    try:
        deadline = threading.Event()
        while pacer.deferred_passes < 5:
            deadline.wait(0.01)
        assert _event_ids(database) == [], "a saturated machine leaves indexing for later"
    finally:
        thread.stop()
    assert indexer.catch_up() == 5, "a reader indexes what is missing before it reads"
    assert sorted(_event_ids(database)) == sorted(r.event_id for r in records)
    assert indexer.unindexed_bytes() == 0
    journal.close()
