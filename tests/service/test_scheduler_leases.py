"""Background jobs are leased in the database: two schedulers never run one job at once."""

from __future__ import annotations

import threading
import time

from vigil.scheduler import Job, Scheduler
from vigil.storage.engine import Database


def test_a_job_runs_once_per_interval(database: Database) -> None:
    runs: list[int] = []
    scheduler = Scheduler(database)
    scheduler.register(Job("count", 3600, lambda: runs.append(1) or 1))
    assert scheduler.run_due() == {"count": 1}
    assert scheduler.run_due() == {}
    assert scheduler.run_due(force=True) == {"count": 1}
    assert len(runs) == 2


def test_two_schedulers_never_run_the_same_job_concurrently(database: Database) -> None:
    active, overlaps, runs = [0], [0], [0]
    lock = threading.Lock()

    def slow_job() -> int:
        with lock:
            active[0] += 1
            overlaps[0] = max(overlaps[0], active[0])
            runs[0] += 1
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return 1

    nodes = [Scheduler(database, holder=f"node-{i}") for i in range(2)]
    for node in nodes:
        node.register(Job("shared", 0, slow_job))

    def hammer(node: Scheduler) -> None:
        for _ in range(10):
            node.run_due(force=True)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps[0] == 1
    assert runs[0] >= 2


def test_a_lease_left_by_a_crashed_node_expires(database: Database) -> None:
    now = time.time_ns() // 1_000_000
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO job_leases (name, holder, expires_at, last_run_at) VALUES (?, ?, ?, NULL)",
            ("orphan", "dead-node", now - 1),
        )
    scheduler = Scheduler(database, holder="alive")
    scheduler.register(Job("orphan", 3600, lambda: 7))
    assert scheduler.run_due() == {"orphan": 7}


def test_a_live_lease_blocks_other_nodes(database: Database) -> None:
    now = time.time_ns() // 1_000_000
    with database.transaction() as tx:
        tx.execute(
            "INSERT INTO job_leases (name, holder, expires_at, last_run_at) VALUES (?, ?, ?, NULL)",
            ("busy", "other-node", now + 60_000),
        )
    scheduler = Scheduler(database, holder="me")
    scheduler.register(Job("busy", 0, lambda: 1))
    assert scheduler.run_due(force=True) == {}
