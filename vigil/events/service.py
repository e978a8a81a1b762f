"""The event center: raise catalog events in the caller's transaction, ingest other products' events,
answer queries, keep custom events, enforce retention, and wake live streams after commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from vigil import ids
from vigil.clock import DAY_MS, Clock
from vigil.errors import InvalidArgument
from vigil.events import store
from vigil.events.catalog import CATALOG, EventSpec
from vigil.events.ingest import validate_payloads
from vigil.events.model import CustomEvent, EventDraft, SystemEvent
from vigil.events.query import EventFilter, Keywords
from vigil.ids import time_ordered_uuids
from vigil.storage.engine import Database, Tx
from vigil.storage.group_commit import GroupCommit

DEFAULT_RETENTION_DAYS = 90


class UnknownEvent(InvalidArgument):
    code = "InvalidParameter.EventName"


class Routed(Protocol):
    def write(self, tx: Tx) -> None:
        """Record where the events go, in the transaction that stores them."""
        ...


class EventRouter(Protocol):
    """Where raised events go next (the alerting pipeline's outbox): matched before the raising
    transaction takes the write lock, written inside it."""

    def match(self, events: Sequence[SystemEvent], search_texts: Sequence[str] | None = None) -> Routed:
        """Events raised together, all of one account; ``search_texts``, when given, are the
        events' keyword texts (``SystemEvent.search_text``), already worked out for their rows."""
        ...

    def match_custom(self, events: Sequence[CustomEvent]) -> Routed: ...


class _NowhereRouted:
    def write(self, tx: Tx) -> None:
        return None


class NoRouting:
    """The router until alerting is connected: events are stored and streamed, nothing more."""

    def match(self, events: Sequence[SystemEvent], search_texts: Sequence[str] | None = None) -> Routed:
        return _NowhereRouted()

    def match_custom(self, events: Sequence[CustomEvent]) -> Routed:
        return _NowhereRouted()


class EventCenter:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        region_of: Callable[[], str],
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._db = db
        self._clock = clock
        self._region_of = region_of
        self.retention_days = retention_days
        self.router: EventRouter = NoRouting()
        self._writes = GroupCommit(db)
        self._wake = threading.Condition()
        self._generation = 0

    # -- raising -----------------------------------------------------------------------------

    def raise_event(
        self,
        account_id: str,
        name: str,
        *,
        resource_id: str,
        instance_name: str,
        content: Mapping[str, Any],
        status: str | None = None,
        group_id: str = "0",
        drill: bool = False,
        source: str = "system",
        level: str | None = None,
    ) -> SystemEvent:
        """Record a catalog event in the current transaction (or a new one). Raises UnknownEvent."""
        draft = EventDraft(name, resource_id, instance_name, content, status, group_id, drill, source, level)
        return self.raise_many(account_id, [draft])[0]

    def raise_many(self, account_id: str, drafts: Sequence[EventDraft]) -> list[SystemEvent]:
        """Record catalog events in the current transaction (or a new one), written as one batch.

        Raises UnknownEvent for the first draft whose name is not in the catalog; nothing is written then.
        """
        now, region = self._clock.now_ms(), self._region_of()  # one moment for the whole batch
        event_ids = time_ordered_uuids(now, len(drafts))
        events = [
            self._build(account_id, d, event_id, now, region)
            for d, event_id in zip(drafts, event_ids, strict=True)
        ]
        rows = store.event_rows(events)  # encoding and matching happen before the write lock
        routed = self.router.match(events, [store.search_text_of(row) for row in rows])

        def write(tx: Tx) -> None:
            store.insert_rows(tx, rows)
            routed.write(tx)
            tx.on_commit(self._notify)

        self._writes.run(write)
        return events

    def _build(self, account_id: str, d: EventDraft, event_id: str, now: int, region: str) -> SystemEvent:
        spec = self.spec(d.name)
        resource_name = d.instance_name or d.resource_id.rsplit("/", 1)[-1]
        body = dict(d.content)
        key = spec.event_id_key  # "eventId"; "EventId" for the notify events; None for Kafka
        if key is not None and key not in body:
            body = {key: f"{account_id}:{resource_name}:{now // 1000}", **body}
        if d.drill:  # so a drill is told apart wherever only the content travels (CMS Content)
            body["drill"] = True
        return SystemEvent(
            event_id,
            account_id,
            spec.product,
            spec.name,
            d.level or spec.level.value,
            spec.event_type.value,
            d.status or spec.status,
            d.group_id,
            d.resource_id,
            d.instance_name,
            region,
            now,
            body,
            d.drill,
            d.source,
        )

    def arn(self, account_id: str, kind: str, resource_id: str) -> str:
        return f"acs:kms:{self._region_of()}:{account_id}:{kind}/{resource_id}"

    def spec(self, name: str) -> EventSpec:
        spec = CATALOG.get(name)
        if spec is None:
            raise UnknownEvent(f"event {name!r} is not in the catalog (see DescribeSystemEventMetaList)")
        return spec

    def ingest(
        self, account_id: str, product: str, events: Sequence[Mapping[str, Any]], *, drill: bool = False
    ) -> list[SystemEvent]:
        """System events published by a registered product (e.g. Kafka), validated against the catalog.

        Raises InvalidArgument naming the first event and field that is wrong; nothing is stored then.
        """
        return self.raise_many(account_id, validate_payloads(product, events, drill=drill))

    def _notify(self) -> None:
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    def wait_for_new(self, generation: int, timeout_s: float) -> int:
        """Block until an event commits on this node (or the timeout); returns the new generation."""
        with self._wake:
            if self._generation == generation:
                self._wake.wait(timeout_s)
            return self._generation

    @property
    def generation(self) -> int:
        return self._generation

    # -- queries -----------------------------------------------------------------------------

    def search(self, account_id: str, f: EventFilter, page: int, size: int) -> list[SystemEvent]:
        with self._db.transaction(write=False) as tx:
            return store.page(tx, account_id, f, (page - 1) * size, size)

    def count(self, account_id: str, f: EventFilter) -> list[tuple[SystemEvent, int]]:
        with self._db.transaction(write=False) as tx:
            return store.counts(tx, account_id, f)

    def histogram(self, account_id: str, f: EventFilter, bucket_ms: int) -> list[tuple[int, int, int]]:
        """(start, end, count) for every bucket of the range, empty ones included."""
        with self._db.transaction(write=False) as tx:
            found = store.histogram(tx, account_id, f, bucket_ms)
        starts = range(f.start_ms, f.end_ms, bucket_ms)
        return [(s, min(s + bucket_ms, f.end_ms), found.get(s, 0)) for s in starts]

    def tail(self, account_id: str, after_seq: int, limit: int = 500) -> list[SystemEvent]:
        with self._db.transaction(write=False) as tx:
            return store.after(tx, account_id, after_seq, limit)

    def resume_point(self, account_id: str, *, event_id: str | None, since_ms: int | None) -> int:
        """The sequence number to stream after: an event id's, or the last one before a time, or now."""
        with self._db.transaction(write=False) as tx:
            if event_id is not None:
                seq = store.seq_of(tx, event_id)
                if seq is None:
                    raise InvalidArgument(f"event {event_id!r} is unknown (expired or never stored)")
                return seq
            if since_ms is None:
                return store.newest_seq(tx, account_id)
            return store.seq_at(tx, account_id, since_ms)

    # -- custom events -----------------------------------------------------------------------

    def put_custom_events(self, account_id: str, infos: Sequence[Mapping[str, Any]]) -> list[CustomEvent]:
        """PutCustomEvent: each info needs EventName and Content; Time (ms or date) and GroupId optional."""
        now = self._clock.now_ms()
        events = [self._custom(account_id, i, info, now) for i, info in enumerate(infos, start=1)]
        routed = self.router.match_custom(events)
        with self._db.transaction() as tx:
            for event in events:
                store.insert_custom(tx, event)
            routed.write(tx)
        return events

    def _custom(self, account_id: str, index: int, info: Mapping[str, Any], now: int) -> CustomEvent:
        from vigil.events.query import parse_time

        name = str(info.get("EventName") or "").strip()
        content = info.get("Content")
        if not name or len(name) > 128:
            raise InvalidArgument(f"EventInfo.{index}.EventName must be 1-128 characters")
        if not isinstance(content, str) or not content:
            raise InvalidArgument(f"EventInfo.{index}.Content must be a non-empty string")
        time_ms = parse_time(str(info["Time"]), f"EventInfo.{index}.Time") if info.get("Time") else now
        return CustomEvent(
            ids.time_ordered_uuid(now),
            account_id,
            name,
            str(info.get("GroupId") or "0"),
            content,
            time_ms or now,
        )

    def search_custom(
        self,
        account_id: str,
        *,
        name: str | None,
        event_id: str | None,
        group_id: str | None,
        keywords: Keywords | None,
        start_ms: int,
        end_ms: int,
        page: int,
        size: int,
    ) -> list[CustomEvent]:
        with self._db.transaction(write=False) as tx:
            return store.custom_page(
                tx, account_id, name, event_id, group_id, keywords, start_ms, end_ms, (page - 1) * size, size
            )

    # -- retention ---------------------------------------------------------------------------

    def enforce_retention(self, batch: int = 5000) -> int:
        """Delete events older than the retention window; returns how many went."""
        cutoff = self._clock.now_ms() - self.retention_days * DAY_MS
        removed = 0
        while True:
            with self._db.transaction() as tx:
                gone = store.delete_before(tx, cutoff, batch) + store.delete_custom_before(tx, cutoff, batch)
            removed += gone
            if gone < batch:
                return removed
