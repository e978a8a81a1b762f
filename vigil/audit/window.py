"""The time window of an audit read (pure): StartTime and EndTime as ISO 8601 or epoch milliseconds,
their defaults, and how far back the records still exist.

Both bounds are inclusive at the precision they are written in, as ActionTrail's eventTime is shown
to the second: ``EndTime=2026-01-10T08:00:00Z`` covers that whole second, and a window read back
from an answer covers exactly what it covered before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    start_ms: int  # the first millisecond read
    end_ms: int  # the first millisecond after the window

    def iso(self, *, milliseconds: bool = False) -> tuple[str, str]:
        """StartTime and EndTime as an answer echoes them (EndTime is the window's last instant)."""
        return instant(self.start_ms, milliseconds=milliseconds), instant(
            self.end_ms - 1, milliseconds=milliseconds
        )


@dataclass(frozen=True, slots=True)
class WindowRules:
    default_ms: int  # the window's length when StartTime is not given
    max_age_days: int  # how long records are kept: an older StartTime finds nothing and is refused
    epoch_ms: bool = False  # whether a bound may also be a number of milliseconds since 1970


def resolve(start: str | None, end: str | None, now_ms: int, rules: WindowRules) -> Window:
    """The window StartTime and EndTime name: EndTime defaults to now, StartTime to ``default_ms``
    before EndTime (but no earlier than the records go back). Raises InvalidArgument naming the
    parameter when one cannot be read, StartTime is older than ``max_age_days``, or EndTime is
    before StartTime."""
    oldest = now_ms - rules.max_age_days * DAY_MS
    end_ms = now_ms + 1 if end is None else sum(moment(end, "EndTime", epoch_ms=rules.epoch_ms))
    if start is None:
        return Window(max(oldest, min(end_ms, now_ms + 1) - rules.default_ms), end_ms)
    start_ms, _ = moment(start, "StartTime", epoch_ms=rules.epoch_ms)
    if start_ms < oldest:
        raise InvalidArgument(
            f"StartTime {start[:40]!r} is more than {rules.max_age_days} days ago; records are kept "
            f"{rules.max_age_days} days, so the earliest start is {instant(oldest)}"
        )
    if end_ms <= start_ms:
        raise InvalidArgument(f"EndTime {(end or '')[:40]!r} is before StartTime {start[:40]!r}")
    return Window(start_ms, end_ms)


def moment(text: str, name: str, *, epoch_ms: bool = False) -> tuple[int, int]:
    """The first millisecond ``text`` names and how many it spans: a day for a date, a second for
    ``2026-01-10T08:00:00Z``, one for milliseconds. A time without a zone is UTC. Raises
    InvalidArgument naming ``name``."""
    text = text.strip()
    if epoch_ms and text.isascii() and text.isdigit() and len(text) <= 15:
        return _bounded(int(text), text, name), 1
    found = _ISO.fullmatch(text)
    if found is None:
        also = " or milliseconds since 1970" if epoch_ms else ""
        raise InvalidArgument(f"{name} {text[:40]!r} must be a UTC time such as 2026-01-10T08:00:00Z{also}")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        at = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")), tzinfo=_zone(zone),
        )  # fmt: skip
        ms = (at - _EPOCH) // timedelta(milliseconds=1)
    except (ValueError, OverflowError):
        raise InvalidArgument(f"{name} {text[:40]!r} is not a valid date and time") from None
    span = DAY_MS if hour is None else 60_000 if second is None else 1_000 if fraction is None else 1
    return _bounded(ms, text, name), span


def instant(ms: int, *, milliseconds: bool = False) -> str:
    """``2026-01-10T08:00:00Z``, or with ``milliseconds`` ``2026-01-10T08:00:00.123Z``."""
    at = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if milliseconds:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone(zone: str | None) -> tzinfo:
    if zone is None or zone.upper() == "Z":
        return UTC
    return datetime.strptime(zone.replace(":", ""), "%z").tzinfo or UTC


def _bounded(ms: int, text: str, name: str) -> int:
    if not 0 <= ms <= _LATEST_MS:
        raise InvalidArgument(f"{name} {text[:40]!r} must lie between 1970 and 9999")
    return ms
