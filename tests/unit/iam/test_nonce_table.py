"""The shared nonce table: replays are caught, expired nonces are forgotten, saturation is counted."""

from __future__ import annotations

import multiprocessing
import time

from vigil.iam.nonces import NonceTable


def _later(seconds: float) -> int:
    return int((time.time() + seconds) * 1000)


def test_a_nonce_is_accepted_once_within_its_window() -> None:
    table = NonceTable(1024)
    assert table.check_and_add("ak:n1", _later(900))
    assert not table.check_and_add("ak:n1", _later(900))
    assert table.check_and_add("ak:n2", _later(900))


def test_an_expired_nonce_is_forgotten() -> None:
    table = NonceTable(1024)
    assert table.check_and_add("ak:old", _later(-1))
    assert table.check_and_add("ak:old", _later(900))


def test_a_replay_is_caught_even_when_an_earlier_probe_slot_has_expired() -> None:
    table = NonceTable(1024)
    for i in range(2000):  # fill the table so probe sequences collide
        table.check_and_add(f"filler:{i}", _later(-1) if i % 2 else _later(900))
    assert table.check_and_add("ak:target", _later(900))
    assert not table.check_and_add("ak:target", _later(900))


def test_saturation_evicts_the_oldest_and_counts_it() -> None:
    table = NonceTable(1024)
    for i in range(1024 * 3):
        table.check_and_add(f"n{i}", _later(900 + i))
    assert table.evictions > 0


def _child(table: NonceTable, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    results.put(table.check_and_add("ak:shared", _later(900)))


def test_worker_processes_share_one_table() -> None:
    table = NonceTable(1024)
    assert table.check_and_add("ak:shared", _later(900))
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child, args=(table, results))
    child.start()
    child.join(10)
    assert results.get(timeout=5) is False
