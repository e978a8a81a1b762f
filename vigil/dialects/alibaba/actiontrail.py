"""ActionTrail 2020-07-06 LookupEvents (WIRE.md §5): the account's trail, filtered by LookupAttribute
conditions in a time window, a page at a time; a thin translation onto the AuditTrail.

The answer is ActionTrail's: ``Events`` is a bare list of event objects and ``NextToken`` is left
out on the last page.
"""

from __future__ import annotations

from typing import Any

from vigil.audit.model import Direction, LookupKey
from vigil.audit.store import Cursor, InvalidLookupAttribute
from vigil.audit.window import Window, WindowRules, resolve
from vigil.clock import DAY_MS
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument, MissingParameter
from vigil.http.calls import CallContext, Operation

VERSION = "2020-07-06"
DEFAULT_RESULTS = 20
MAX_RESULTS = 50
MAX_ATTRIBUTES = 10
DEFAULT_WINDOW_MS = 7 * DAY_MS
_KEY_NAMES = frozenset(key.value for key in LookupKey)
_KEYS = ", ".join(LookupKey)
Result = dict[str, Any]


def trail_resource(ctx: CallContext, _: Params) -> str:
    """Reading the trail is authorised on acs:actiontrail:<region>:<uid>:trail/*."""
    return ctx.arn("trail", "*", product="actiontrail")


def lookup_attributes(p: Params) -> list[tuple[str, str]]:
    """The LookupAttribute.N conditions as (key, value). Raises InvalidArgument naming the one at fault."""
    conditions = p.objects("LookupAttribute")
    if len(conditions) > MAX_ATTRIBUTES:
        raise InvalidArgument(f"LookupAttribute may hold at most {MAX_ATTRIBUTES} conditions")
    found = []
    for n, condition in enumerate(conditions, start=1):
        key, value = condition.get("Key"), condition.get("Value")
        if not isinstance(key, str) or not key:
            raise MissingParameter(f"LookupAttribute.{n}.Key is mandatory: one of {_KEYS}")
        if key not in _KEY_NAMES:
            raise InvalidLookupAttribute(f"LookupAttribute.{n}.Key {key[:40]!r} is not one of {_KEYS}")
        if not isinstance(value, str) or not value:
            raise MissingParameter(f"LookupAttribute.{n}.Value is mandatory for the key {key}")
        if len(value) > 1024:
            raise InvalidArgument(f"LookupAttribute.{n}.Value is too long: at most 1024 characters")
        found.append((key, value))
    return found


def direction(p: Params) -> Direction:
    """Direction, in any case; BACKWARD (newest first) when not given."""
    text = p.str("Direction", max_len=40)
    if text is None:
        return Direction.BACKWARD
    try:
        return Direction(text.upper())
    except ValueError:
        raise InvalidArgument(f"Direction {text!r} must be FORWARD or BACKWARD") from None


def next_cursor(p: Params) -> Cursor | None:
    """NextToken as given out by the previous page (empty means the first page). Raises InvalidCursor."""
    token = p.str("NextToken", max_len=64)
    return Cursor.parse(token) if token else None


def window(ctx: CallContext, p: Params, *, default_ms: int, max_age_days: int, epoch_ms: bool) -> Window:
    rules = WindowRules(default_ms, max_age_days, epoch_ms)
    now = ctx.services.clock.now_ms()
    return resolve(p.str("StartTime", max_len=64), p.str("EndTime", max_len=64), now, rules)


def lookup_events(ctx: CallContext, p: Params) -> Result:
    attributes = lookup_attributes(p)
    limit = p.int("MaxResults", DEFAULT_RESULTS, lo=0, hi=MAX_RESULTS) or DEFAULT_RESULTS
    days = ctx.services.settings.audit_retention_days
    span = window(ctx, p, default_ms=DEFAULT_WINDOW_MS, max_age_days=days, epoch_ms=False)
    page = ctx.services.audit.trail.lookup(
        ctx.account_id, attributes, span.start_ms, span.end_ms, direction(p), limit, next_cursor(p)
    )
    start, end = span.iso()
    result: Result = {"StartTime": start, "EndTime": end, "Events": [r.to_event() for r in page.records]}
    if page.next is not None:
        result["NextToken"] = page.next.token()
    return result


OPERATIONS = [Operation("Actiontrail", "LookupEvents", lookup_events, "Read", True, trail_resource)]
