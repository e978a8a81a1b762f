"""Filling the event store through the EventCenter, in batches and one event per transaction.

History is backfilled through the production code path: ``EventCenter.raise_many`` for KMS events
(as the key and secret services call it) and ``EventCenter.ingest`` for Kafka's (as PutSystemEvents
calls it), each batch inside one ``Database.transaction()`` that both calls join. The only thing
the benchmark supplies is the EventCenter's clock: a BackfillClock, whose successive readings are
evenly spaced over the 90 days, so every event is stamped with its own time in the past.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from events_mix import Batch, EventMix

from vigil.clock import SystemClock
from vigil.events.model import EventDraft
from vigil.events.service import EventCenter
from vigil.storage.engine import Database


class BackfillClock:
    """A Clock whose n-th reading is the n-th of ``count`` evenly spaced times in [start_ms, end_ms)."""

    def __init__(self, start_ms: int, end_ms: int, count: int) -> None:
        self.start_ms, self.end_ms, self.count = start_ms, end_ms, count
        self.readings = 0

    def time_at(self, n: int) -> int:
        return self.start_ms + n * (self.end_ms - self.start_ms) // self.count

    def now_ms(self) -> int:
        now = self.time_at(self.readings)
        self.readings += 1
        return now


@dataclass(slots=True)
class IngestRun:
    """Events stored, the seconds spent inside the storing transactions, and each transaction's time."""

    events: int = 0
    stored_s: float = 0.0
    wall_s: float = 0.0
    transaction_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Events per second of time spent in EventCenter and the store (drawing the mix excluded)."""
        return self.events / self.stored_s if self.stored_s else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "transactions": len(self.transaction_ms),
            "stored_s": round(self.stored_s, 3),
            "wall_s": round(self.wall_s, 3),
            "events_per_s": round(self.rate, 1),
            "wall_events_per_s": round(self.events / self.wall_s, 1) if self.wall_s else 0.0,
        }


def store_batch(center: EventCenter, db: Database | None, account_id: str, batch: Batch) -> None:
    """One transaction: the KMS events as one batch, then the Kafka payloads through the ingest (with
    ``db`` None, no enclosing transaction: each raise or ingest call commits its own)."""
    with db.transaction() if db is not None else nullcontext():
        if len(batch.kms) == 1:
            event = batch.kms[0]
            center.raise_event(
                account_id,
                event.name,
                resource_id=event.resource_id,
                instance_name=event.instance_name,
                content=event.content,
            )
        elif batch.kms:
            drafts = [EventDraft(e.name, e.resource_id, e.instance_name, e.content) for e in batch.kms]
            center.raise_many(account_id, drafts)
        if batch.kafka:
            center.ingest(account_id, "Kafka", batch.kafka)


def fill(
    center: EventCenter,
    db: Database,
    account_id: str,
    mix: EventMix,
    clock: BackfillClock,
    batch_size: int,
    progress: Callable[[str], None] = lambda _: None,
) -> IngestRun:
    """Store ``clock.count`` events in transactions of ``batch_size``, stamped by ``clock``."""
    run = IngestRun()
    started = time.perf_counter()
    while run.events < clock.count:
        size = min(batch_size, clock.count - run.events)
        batch = mix.batch([clock.time_at(clock.readings + i) for i in range(size)])
        began = time.perf_counter()
        store_batch(center, db, account_id, batch)
        spent = time.perf_counter() - began
        run.stored_s += spent
        run.transaction_ms.append(spent * 1000)
        run.events += size
        if clock.readings != run.events:
            raise RuntimeError(f"the clock was read {clock.readings} times for {run.events} events")
        if run.events % 100_000 == 0 or run.events == clock.count:
            progress(f"{run.events:,} events, {run.rate:,.0f}/s in transactions")
    run.wall_s = time.perf_counter() - started
    return run


def ingest_singly(
    center: EventCenter, account_id: str, mix: EventMix, count: int, budget_s: float
) -> IngestRun:
    """Live events, one per transaction (raise_event's own, or a one-event ingest), stamped by the
    EventCenter's real clock; stops after ``count`` events or ``budget_s`` seconds."""
    run = IngestRun()
    now = SystemClock().now_ms()
    started = time.perf_counter()
    while run.events < count and time.perf_counter() - started < budget_s:
        batch = mix.batch([now] * min(100, count - run.events))
        singles = [Batch([event], []) for event in batch.kms] + [Batch([], [raw]) for raw in batch.kafka]
        for single in singles:
            began = time.perf_counter()
            store_batch(center, None, account_id, single)
            spent = time.perf_counter() - began
            run.stored_s += spent
            run.transaction_ms.append(spent * 1000)
            run.events += 1
    run.wall_s = time.perf_counter() - started
    return run


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
