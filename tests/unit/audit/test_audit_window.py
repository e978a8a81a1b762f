"""The time window of an audit read: bounds at their precision, defaults, and the retention limit."""

from __future__ import annotations

import pytest

from vigil.audit.window import Window, WindowRules, instant, moment, resolve
from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument

T = 1_768_032_000_000  # 2026-01-10T08:00:00Z
WEEK = WindowRules(default_ms=7 * DAY_MS, max_age_days=90)
DAY_OR_MS = WindowRules(default_ms=DAY_MS, max_age_days=180, epoch_ms=True)


@pytest.mark.parametrize(
    ("text", "epoch_ms", "expected"),
    [
        ("2026-01-10T08:00:00Z", False, (T, 1000)),
        ("2026-01-10T08:00:00.250Z", False, (T + 250, 1)),
        ("2026-01-10T16:00:00+08:00", False, (T, 1000)),
        ("2026-01-10T08:00Z", False, (T, 60_000)),
        ("2026-01-10T08:00:00", False, (T, 1000)),
        ("2026-01-10", False, (T - 8 * 3_600_000, DAY_MS)),
        (str(T), True, (T, 1)),
    ],
    ids=["seconds", "milliseconds", "offset", "minutes", "no-zone-is-utc", "date", "epoch-ms"],
)
def test_a_bound_names_its_first_millisecond_and_its_precision(
    text: str, epoch_ms: bool, expected: tuple[int, int]
) -> None:
    assert moment(text, "StartTime", epoch_ms=epoch_ms) == expected


@pytest.mark.parametrize(
    ("text", "epoch_ms", "words"),
    [
        (str(T), False, "UTC time such as"),
        ("yesterday", True, "or milliseconds since 1970"),
        ("2026-02-30T00:00:00Z", False, "not a valid date"),
        ("9" * 15, True, "between 1970 and 9999"),
    ],
    ids=["digits-without-epoch-ms", "words", "no-such-day", "after-9999"],
)
def test_a_bound_that_cannot_be_read_is_refused_by_name(text: str, epoch_ms: bool, words: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        moment(text, "EndTime", epoch_ms=epoch_ms)
    assert info.value.message.startswith("EndTime ") and words in info.value.message


@pytest.mark.parametrize(
    ("start", "end", "rules", "expected"),
    [
        (None, None, WEEK, Window(T + 1 - 7 * DAY_MS, T + 1)),
        (None, None, DAY_OR_MS, Window(T + 1 - DAY_MS, T + 1)),
        ("2026-01-09T00:00:00Z", None, WEEK, Window(T - 32 * 3_600_000, T + 1)),
        (
            None,
            "2026-01-05T00:00:00Z",
            WEEK,
            Window(T - 28_800_000 - 12 * DAY_MS + 1000, T - 28_800_000 - 5 * DAY_MS + 1000),
        ),
        (None, None, WindowRules(default_ms=30 * DAY_MS, max_age_days=7), Window(T - 7 * DAY_MS, T + 1)),
        ("2026-01-10", "2026-01-10", WEEK, Window(T - 8 * 3_600_000, T + 16 * 3_600_000)),
        (str(T - 5), str(T - 5), DAY_OR_MS, Window(T - 5, T - 4)),
    ],
    ids=[
        "lookup-default",
        "search-default",
        "start-only",
        "end-only",
        "default-clamped",
        "one-day",
        "one-ms",
    ],
)
def test_the_window_fills_in_defaults(
    start: str | None, end: str | None, rules: WindowRules, expected: Window
) -> None:
    assert resolve(start, end, T, rules) == expected


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2025-10-01T00:00:00Z", None, "more than 90 days ago"),
        ("2026-01-10T08:00:00Z", "2026-01-10T07:59:59Z", "is before StartTime"),
    ],
    ids=["too-old", "end-before-start"],
)
def test_a_window_out_of_reach_or_backwards_is_refused(start: str, end: str | None, words: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        resolve(start, end, T, WEEK)
    assert words in info.value.message


def test_an_echoed_window_reads_back_as_the_same_window() -> None:
    window = resolve(None, None, T + 123, DAY_OR_MS)
    start, end = window.iso(milliseconds=True)
    assert (start, end) == (instant(T + 124 - DAY_MS, milliseconds=True), "2026-01-10T08:00:00.123Z")
    assert resolve(start, end, T + 500, DAY_OR_MS) == window
