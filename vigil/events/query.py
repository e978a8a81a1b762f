"""Event filters (pure): keywords with and/or, time bounds in seconds, milliseconds or dates, buckets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)
HISTOGRAM_BUCKETS = 24
_LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_LAYOUTS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d",
    "%Y%m%dT%H%M%S.%f%z",  # PutCustomEvent's documented Time, e.g. 20171013T170923.456+0800
    "%Y%m%dT%H%M%S%z",
)


@dataclass(frozen=True, slots=True)
class Keywords:
    words: tuple[str, ...]
    all_of: bool


@dataclass(frozen=True, slots=True)
class EventFilter:
    start_ms: int
    end_ms: int
    product: str | None = None
    event_type: str | None = None
    name: str | None = None
    level: str | None = None
    status: str | None = None
    group_id: str | None = None
    keywords: Keywords | None = None


def parse_keywords(text: str | None) -> Keywords | None:
    """``a and b`` (all), ``a or b`` (any), or one term. Raises InvalidArgument for a mix."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    has_and, has_or = bool(_AND.search(text)), bool(_OR.search(text))
    if has_and and has_or:
        raise InvalidArgument("SearchKeywords may join terms with 'and' or with 'or', not both")
    words = tuple(w.strip() for w in (_OR if has_or else _AND).split(text) if w.strip())
    if not words:
        raise InvalidArgument("SearchKeywords has no term")
    return Keywords(words, not has_or)


def parse_time(text: str | None, name: str) -> int | None:
    """Unix seconds, Unix milliseconds (13 digits), ``YYYY-MM-DD hh:mm:ss`` (UTC) or CMS's
    ``20171013T170923.456+0800`` to milliseconds. Raises InvalidArgument naming ``name``.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text.isdigit():
        value = int(text)
        value = value * 1000 if value < 100_000_000_000 else value
        if value > _LATEST_MS:  # also keeps the value inside a BIGINT
            raise InvalidArgument(f"{name} {text[:40]!r} is after the year 9999")
        return value
    for layout in _LAYOUTS:
        try:
            parsed = datetime.strptime(text, layout)
        except ValueError:
            continue
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp() * 1000)
    raise InvalidArgument(
        f"{name} {text[:40]!r} must be Unix seconds, Unix milliseconds or 'YYYY-MM-DD hh:mm:ss' (UTC)"
    )


def time_range(start: str | None, end: str | None, now_ms: int, retention_days: int) -> tuple[int, int]:
    """The [start, end) range in ms; defaults to the whole retention window up to now.

    Raises InvalidArgument for a bad time or a StartTime after the EndTime.
    """
    end_ms = parse_time(end, "EndTime")
    start_ms = parse_time(start, "StartTime")
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise InvalidArgument("StartTime must not be after EndTime")
    # A bound left out never contradicts the one given: a future start or an old end is an empty range.
    if start_ms is None:
        start_ms = now_ms - retention_days * DAY_MS
        start_ms = start_ms if end_ms is None else min(start_ms, end_ms)
    if end_ms is None:
        end_ms = max(now_ms + 1, start_ms)
    return start_ms, end_ms


def bucket_size(start_ms: int, end_ms: int, buckets: int = HISTOGRAM_BUCKETS) -> int:
    """A whole number of minutes such that the range fits in at most ``buckets`` buckets."""
    span = max(1, end_ms - start_ms)
    minutes = -(-span // (buckets * 60_000))
    return max(1, minutes) * 60_000
