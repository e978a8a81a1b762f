"""What a server process does with its start-up heap before it serves (vigil/http/workers.py)."""

from __future__ import annotations

import gc

from vigil.http.workers import settle_heap


class _Thing:
    pass


def test_objects_alive_at_start_up_leave_the_collected_generations() -> None:
    alive = [_Thing() for _ in range(1000)]
    assert gc.is_tracked(alive[0])
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(alive)
        scanned = {id(o) for o in gc.get_objects()}  # generations 0-2, which collections walk
        assert not any(id(o) in scanned for o in alive)
        later = _Thing()
        assert id(later) in {
            id(o) for o in gc.get_objects(generation=0)
        }  # new objects are collected as before
    finally:
        gc.unfreeze()
