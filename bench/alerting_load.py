"""How the alerting benchmark drives a system: batches sent from a few client threads as fast as
answers come back (closed loop), and single triggers paced on a fixed schedule (open loop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
Send = Callable[[T], None]
"""Sends one batch; raises on an error answer."""


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p99_ms": round(percentile(values_ms, 99), 2),
        "max_ms": round(max(values_ms, default=0.0), 2),
    }


@dataclass(slots=True)
class BatchRun:
    """Every batch sent: when the first went out, when the last answer came, each batch's time."""

    started: float = 0.0
    finished: float = 0.0
    batch_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return self.finished - self.started


def send_batches(make_sender: Callable[[], Send[T]], batches: Sequence[T], threads: int) -> BatchRun:
    """Send ``batches`` round-robin from ``threads`` threads, each with its own connection
    (``make_sender()`` is called once per thread, before the clock starts)."""
    run = BatchRun()
    senders = [make_sender() for _ in range(threads)]
    gate = threading.Barrier(threads + 1)
    lock = threading.Lock()

    def work(index: int) -> None:
        send, mine, spent = senders[index], batches[index::threads], []
        gate.wait()
        for batch in mine:
            began = time.perf_counter()
            try:
                send(batch)
            except Exception as exc:  # counted, and the run marked invalid
                with lock:
                    run.errors.append(repr(exc)[:300])
            spent.append((time.perf_counter() - began) * 1000)
        with lock:
            run.batch_ms += spent

    workers = [threading.Thread(target=work, args=(i,), name=f"bench-sender-{i}") for i in range(threads)]
    for w in workers:
        w.start()
    gate.wait()
    run.started = time.perf_counter()
    for w in workers:
        w.join()
    run.finished = time.perf_counter()
    return run


@dataclass(slots=True)
class Paced:
    """When each trigger began and when its call returned (perf_counter)."""

    began: list[float] = field(default_factory=list)
    returned: list[float] = field(default_factory=list)
    late: int = 0
    """Triggers that started more than one interval behind the schedule."""


def paced(trigger: Callable[[int], Any], count: int, interval_s: float) -> Paced:
    """Call ``trigger(i)`` at start + i × interval; a slow call delays only the calls behind it."""
    found = Paced()
    start = time.perf_counter() + interval_s
    for i in range(count):
        due = start + i * interval_s
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        elif -pause > interval_s:
            found.late += 1
        found.began.append(time.perf_counter())
        trigger(i)
        found.returned.append(time.perf_counter())
    return found
