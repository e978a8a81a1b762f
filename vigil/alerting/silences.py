"""Silences: matchers over event fields, active between a start and an end, optionally only inside
a recurring weekly maintenance window. Pure: the clock's time is passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from vigil.alerting.model import AlertEvent
from vigil.errors import InvalidArgument

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    *DAYS,
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_MATCHERS = 16


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    """``field op value``; field is a top-level event field (name, level, product, resourceId,
    status, eventType, groupId) or a content path (``secretName``, ``content.secretName``)."""

    field: str
    op: MatchOp
    value: str

    @classmethod
    def create(cls, raw: dict[str, Any], index: int) -> Matcher:
        name, op, value = raw.get("field"), raw.get("op", "="), raw.get("value")
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument(f"matchers[{index}].field must be a non-empty string")
        if op not in {m.value for m in MatchOp}:
            raise InvalidArgument(f"matchers[{index}].op must be one of =, !=, =~, !~")
        if not isinstance(value, str):
            raise InvalidArgument(f"matchers[{index}].value must be a string")
        if op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                re.compile(value)
            except re.error as exc:
                raise InvalidArgument(
                    f"matchers[{index}].value is not a valid regular expression: {exc}"
                ) from None
        return cls(name.strip(), MatchOp(op), value)

    def matches(self, event: AlertEvent) -> bool:
        actual = event.field(self.field)
        if self.op is MatchOp.EQUAL:
            return actual == self.value
        if self.op is MatchOp.NOT_EQUAL:
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op is MatchOp.REGEX else not found

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "op": self.op.value, "value": self.value}


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A weekly window: on ``days``, from ``start`` (HH:MM, UTC) for ``duration_minutes``."""

    days: tuple[str, ...]
    start_minute: int
    duration_minutes: int

    @classmethod
    def create(cls, raw: dict[str, Any]) -> Recurrence:
        days = raw.get("days")
        if not isinstance(days, list) or not days or any(str(d).lower() not in _DAY_NAMES for d in days):
            raise InvalidArgument(f"recurrence.days must list weekdays ({', '.join(DAYS)} or full names)")
        start = _HHMM.match(str(raw.get("start", "")))
        if start is None:
            raise InvalidArgument("recurrence.start must be HH:MM (UTC)")
        duration = raw.get("duration_minutes")
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 7 * 24 * 60:
            raise InvalidArgument("recurrence.duration_minutes must be 1-10080")
        return cls(
            tuple(sorted({str(d).lower()[:3] for d in days}, key=DAYS.index)),
            int(start.group(1)) * 60 + int(start.group(2)),
            duration,
        )

    def covers(self, now_ms: int) -> bool:
        """True inside a window; a window that starts late on one day runs on into the next."""
        now = datetime.fromtimestamp(now_ms / 1000, UTC)
        minute_of_week = now.weekday() * 1440 + now.hour * 60 + now.minute
        week = 7 * 1440
        for day in self.days:
            start = DAYS.index(day) * 1440 + self.start_minute
            if (minute_of_week - start) % week < self.duration_minutes:
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "days": list(self.days),
            "start": f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}",
            "duration_minutes": self.duration_minutes,
        }


@dataclass(frozen=True, slots=True)
class Silence:
    silence_id: str
    account_id: str
    matchers: tuple[Matcher, ...]
    starts_at: int
    ends_at: int
    recurrence: Recurrence | None
    author: str
    comment: str
    created_at: int
    updated_at: int

    def active(self, now_ms: int) -> bool:
        if not self.starts_at <= now_ms < self.ends_at:
            return False
        return self.recurrence is None or self.recurrence.covers(now_ms)

    def mutes(self, event: AlertEvent, now_ms: int) -> bool:
        return self.active(now_ms) and all(m.matches(event) for m in self.matchers)

    def state(self, now_ms: int) -> str:
        if now_ms >= self.ends_at:
            return "expired"
        if now_ms < self.starts_at:
            return "pending"
        return "active" if self.active(now_ms) else "waiting"

    def to_json(self, now_ms: int) -> dict[str, Any]:
        return {
            "SilenceId": self.silence_id,
            "Matchers": [m.to_json() for m in self.matchers],
            "StartsAt": self.starts_at,
            "EndsAt": self.ends_at,
            "Recurrence": None if self.recurrence is None else self.recurrence.to_json(),
            "Author": self.author,
            "Comment": self.comment,
            "State": self.state(now_ms),
            "CreatedAt": self.created_at,
            "UpdatedAt": self.updated_at,
        }
