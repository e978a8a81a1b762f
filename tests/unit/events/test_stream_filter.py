"""The live stream's pure rules: the Python filter agrees with the store's SQL semantics, and the
sequencer releases every committed event once, in sequence order, whatever order commits come in.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.events.model import SystemEvent
from vigil.events.query import EventFilter, parse_keywords
from vigil.events.stream import OPEN_END_MS, EventTail, Sequencer, StreamOptions, matches
from vigil.testing import ManualClock

EVENT = SystemEvent(
    "e-1",
    "1234",
    "KMS",
    "Key:DeleteKey:ScheduleDeletion",
    "WARN",
    "StatusNotification",
    "normal",
    "0",
    "acs:kms:cn-hangzhou:1234:key/key-abc",
    "key-abc",
    "cn-hangzhou",
    1_000,
    {"keyId": "key-abc", "plannedDeleteTime": "2026-01-08T00:00:00Z"},
    seq=1,
)
ALL = EventFilter(0, OPEN_END_MS)


def keywords(text: str) -> EventFilter:
    return replace(ALL, keywords=parse_keywords(text))


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        (ALL, True),
        (replace(ALL, product="kms"), True),
        (replace(ALL, product="Kafka"), False),
        (replace(ALL, name="Key:DeleteKey:ScheduleDeletion"), True),
        (replace(ALL, name="key:deletekey:scheduledeletion"), False),
        (replace(ALL, level="WARN"), True),
        (replace(ALL, level="INFO"), False),
        (replace(ALL, event_type="StatusNotification"), True),
        (replace(ALL, event_type="Exception"), False),
        (replace(ALL, status="Normal"), True),
        (replace(ALL, status="Failed"), False),
        (replace(ALL, group_id="0"), True),
        (replace(ALL, group_id="7"), False),
        (replace(ALL, start_ms=1_000), True),
        (replace(ALL, start_ms=1_001), False),
        (replace(ALL, end_ms=1_000), False),
        (keywords("KEY-ABC"), True),
        (keywords("key-abc and plannedDeleteTime"), True),
        (keywords("key-abc and key-xyz"), False),
        (keywords("key-xyz or deletekey"), True),
        (keywords("key-xyz or key-uvw"), False),
        (keywords("100%"), False),
    ],
    ids=[
        "no-filter",
        "product-any-case",
        "other-product",
        "name",
        "name-is-exact",
        "level",
        "other-level",
        "event-type",
        "other-event-type",
        "status-any-case",
        "other-status",
        "group",
        "other-group",
        "from-its-time",
        "from-after-its-time",
        "end-is-exclusive",
        "keyword-any-case",
        "keywords-all-present",
        "keywords-one-missing",
        "keywords-any-present",
        "keywords-none-present",
        "percent-is-literal",
    ],
)
def test_the_filter_matches_as_the_store_would(f: EventFilter, expected: bool) -> None:
    assert matches(EVENT, f) is expected


def event(seq: int) -> SystemEvent:
    return replace(EVENT, event_id=f"e-{seq}", seq=seq)


def seqs(events: list[SystemEvent]) -> list[int]:
    return [e.seq for e in events]


class Table:
    """The account's committed events, read as the store's ``after`` reads them."""

    def __init__(self) -> None:
        self.committed: dict[int, SystemEvent] = {}

    def commit(self, *numbers: int) -> None:
        self.committed.update((n, event(n)) for n in numbers)

    def rows(self, after: int = 0, limit: int = 500) -> list[SystemEvent]:
        return [self.committed[n] for n in sorted(self.committed) if n > after][:limit]


def test_events_in_order_are_released_at_once_and_never_twice() -> None:
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=ManualClock())
    table.commit(1, 2)
    assert seqs(sequencer.accept(table.rows())) == [1, 2]
    table.commit(3)
    assert seqs(sequencer.accept(table.rows())) == [3]  # 1 and 2 read again, not released again
    assert sequencer.accept(table.rows()) == [] and sequencer.settles_in_s() is None


def test_a_missing_number_holds_later_ones_back_until_it_commits() -> None:
    clock = ManualClock()
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=clock)
    table.commit(1, 3)
    assert seqs(sequencer.accept(table.rows())) == [1]
    clock.advance(4)
    assert sequencer.accept(table.rows()) == [] and sequencer.settles_in_s() == pytest.approx(1)
    table.commit(2)
    assert seqs(sequencer.accept(table.rows())) == [2, 3]
    assert sequencer.position == 3


def test_a_missing_number_is_given_up_after_the_grace_period() -> None:
    clock = ManualClock()
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=clock)
    table.commit(2, 3)
    assert sequencer.accept(table.rows()) == []
    clock.advance(5)
    assert seqs(sequencer.accept(table.rows())) == [2, 3]
    table.commit(1)  # committed past the grace period: the documented limit of the guarantee
    assert sequencer.accept(table.rows(sequencer.position)) == []


def test_each_gap_is_timed_from_when_it_was_first_seen() -> None:
    clock = ManualClock()
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=clock)
    table.commit(2)
    sequencer.accept(table.rows())  # 1 missing since t=0
    clock.advance(3)
    table.commit(4)
    sequencer.accept(table.rows())  # 3 missing since t=3
    clock.advance(2)
    assert seqs(sequencer.accept(table.rows())) == [2]  # 1 given up at t=5, 3 still awaited
    assert sequencer.settles_in_s() == pytest.approx(3)
    clock.advance(3)
    assert seqs(sequencer.accept(table.rows())) == [4]


def test_gaps_seen_together_are_given_up_together() -> None:
    clock = ManualClock()
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=clock)
    table.commit(2, 4, 6)
    sequencer.accept(table.rows())
    clock.advance(5)
    assert seqs(sequencer.accept(table.rows())) == [2, 4, 6]


def test_without_grace_a_gap_is_skipped_at_once() -> None:
    table, sequencer = Table(), Sequencer(10, grace_s=0, clock=ManualClock())
    table.commit(9, 12, 13)
    assert seqs(sequencer.accept(table.rows())) == [12, 13]


@given(
    order=st.permutations(range(1, 16)),
    rolled_back=st.sets(st.integers(1, 15), max_size=4),
    reads=st.lists(st.booleans(), min_size=15, max_size=15),
)
def test_every_commit_order_is_released_once_in_sequence_order(
    order: list[int], rolled_back: set[int], reads: list[bool]
) -> None:
    """Transactions take numbers 1..15 and commit in any order (some roll back), all within the
    grace period; reads happen after any subset of the commits. Out comes every committed number,
    once each, ascending."""
    clock = ManualClock()
    table, sequencer = Table(), Sequencer(0, grace_s=5, clock=clock)
    released: list[int] = []
    for number, read_now in zip(order, reads, strict=True):
        if number not in rolled_back:
            table.commit(number)
        if read_now:
            released += seqs(sequencer.accept(table.rows(sequencer.position)))
    for _ in range(2):  # the rolled-back numbers are given up once seen missing for the grace period
        released += seqs(sequencer.accept(table.rows(sequencer.position)))
        clock.advance(5)
    assert released == sorted(set(range(1, 16)) - rolled_back)


def test_a_tail_filters_after_ordering_and_reads_on_while_behind() -> None:
    table = Table()
    table.commit(*range(1, 8))
    table.committed[4] = replace(event(4), level="INFO")
    tail = EventTail(table.rows, replace(ALL, level="WARN"), 0, grace_s=5, clock=ManualClock(), batch=3)
    assert seqs(tail.poll()) == [1, 2, 3] and tail.behind
    assert seqs(tail.poll()) == [5, 6] and tail.behind  # 4 is passed over, not held
    assert seqs(tail.poll()) == [7] and not tail.behind
    assert tail.position == 7


@pytest.mark.parametrize(
    ("options", "dialect", "grace"),
    [
        (StreamOptions(), "sqlite", 0.0),
        (StreamOptions(), "postgresql", 5.0),
        (StreamOptions(grace_s=1.5), "sqlite", 1.5),
    ],
    ids=["sqlite-commits-in-order", "postgresql-waits", "explicit"],
)
def test_the_grace_period_follows_the_database(options: StreamOptions, dialect: str, grace: float) -> None:
    assert options.grace_for(dialect) == grace
