"""The live stream's rules, free of HTTP: match an event against a filter in Python, and turn repeated
reads of "the account's events after sequence number N" into one sequence without gaps or repeats.

The guarantee, and why the grace period exists, is written out in docs/event-stream.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil.clock import Clock
from vigil.events.model import SystemEvent
from vigil.events.query import EventFilter

OPEN_END_MS = 2**62
"""The end of a live stream's time range: it has none."""

DEFAULT_GRACE_S = 5.0

ReadAfter = Callable[[int, int], list[SystemEvent]]
"""``read(after_seq, limit)``: the account's events with a higher sequence number, oldest first."""


@dataclass(frozen=True, slots=True)
class StreamOptions:
    heartbeat_s: float = 15.0
    """A comment line goes out when nothing else has for this long, so proxies keep the stream open."""
    grace_s: float | None = None
    """How long a missing sequence number is waited for; None: 0 on SQLite, DEFAULT_GRACE_S on PostgreSQL."""
    poll_s: float = 1.0
    """How often the store is read without a local commit, for events committed by other nodes."""
    batch: int = 500

    def grace_for(self, dialect: str) -> float:
        """SQLite writers commit in sequence order, so a missing number there never turns up later."""
        if self.grace_s is not None:
            return self.grace_s
        return 0.0 if dialect == "sqlite" else DEFAULT_GRACE_S


def matches(event: SystemEvent, f: EventFilter) -> bool:
    """True when ``event`` passes ``f`` exactly as it would in the store's SQL (events/store.py)."""
    if not f.start_ms <= event.time_ms < f.end_ms:
        return False
    folded = ((f.product, event.product), (f.status, event.status))
    if any(wanted is not None and wanted.lower() != actual.lower() for wanted, actual in folded):
        return False
    exact = (
        (f.event_type, event.event_type),
        (f.name, event.name),
        (f.level, event.level),
        (f.group_id, event.group_id),
    )
    if any(wanted is not None and wanted != actual for wanted, actual in exact):
        return False
    if f.keywords is None:
        return True
    text = event.search_text()
    found = (word.lower() in text for word in f.keywords.words)
    return all(found) if f.keywords.all_of else any(found)


class Sequencer:
    """Releases events strictly in sequence order, each once, holding back at a missing number.

    ``position`` is settled: every number up to it was released or given up on. A missing number
    is given up on once ``grace_s`` has passed since a higher number was first read, because
    on PostgreSQL a transaction that took number 5 may commit after the one that took 6 (or roll
    back and leave 5 unused for ever). ``clock`` measures real elapsed time, never the test clock.
    """

    def __init__(self, position: int, grace_s: float, clock: Clock) -> None:
        self.position = position
        self._grace_ms = round(grace_s * 1000)
        self._clock = clock
        # (highest number read so far, when it was first read), both increasing: every number
        # below such a high that no read returned has been missing since that moment
        self._highs: deque[tuple[int, int]] = deque()
        self._blocked_at: int | None = None

    def accept(self, rows: Sequence[SystemEvent]) -> list[SystemEvent]:
        """The events of one read (ascending ``seq``) that may go out now, in order; repeats dropped."""
        now = self._clock.now_ms()
        fresh = [event for event in rows if event.seq > self.position]
        if fresh and (not self._highs or fresh[-1].seq > self._highs[-1][0]):
            self._highs.append((fresh[-1].seq, now))
        ready: list[SystemEvent] = []
        self._blocked_at = None
        for event in fresh:
            if event.seq > self.position + 1 and now - self._missing_since(event.seq - 1) < self._grace_ms:
                self._blocked_at = event.seq
                break
            ready.append(event)
            self.position = event.seq
        while self._highs and self._highs[0][0] <= self.position:
            self._highs.popleft()
        return ready

    def settles_in_s(self) -> float | None:
        """Seconds until the gap holding events back is given up on; None when nothing is held."""
        if self._blocked_at is None:
            return None
        waited = self._clock.now_ms() - self._missing_since(self._blocked_at - 1)
        return max(0.0, (self._grace_ms - waited) / 1000)

    def _missing_since(self, seq: int) -> int:
        """When a number above ``seq`` was first read: ``seq`` (if unread) has been missing since."""
        return next(when for high, when in self._highs if high > seq)


class EventTail:
    """One subscriber's place in the account's events: each ``poll`` returns the next matching ones."""

    def __init__(
        self,
        read: ReadAfter,
        f: EventFilter,
        position: int,
        *,
        grace_s: float,
        clock: Clock,
        batch: int = 500,
    ) -> None:
        self.filter = f
        self._read = read
        self._sequencer = Sequencer(position, grace_s, clock)
        self._batch = batch
        self.behind = False
        """True when the last poll filled a whole batch: poll again without waiting."""

    @property
    def position(self) -> int:
        return self._sequencer.position

    def poll(self) -> list[SystemEvent]:
        """Read past the position once; the released events that pass the filter, in sequence order."""
        rows = self._read(self._sequencer.position, self._batch)
        ready = self._sequencer.accept(rows)
        self.behind = len(rows) == self._batch and bool(ready)
        return [event for event in ready if matches(event, self.filter)]

    def settles_in_s(self) -> float | None:
        return self._sequencer.settles_in_s()
