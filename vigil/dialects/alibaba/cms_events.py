"""CloudMonitor 2019-01-01 event-center actions (system-event queries, the catalog, custom events,
fire drills) and Vigil's PutSystemEvents ingest: thin translations onto the EventCenter.

Shapes and field types follow WIRE.md §4 to the letter: ``Success`` is the string ``"true"`` in
the query, custom-event and dry-run answers, and a bool (with an int ``Code``) in the meta list.
"""

from __future__ import annotations

import json
from typing import Any

from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument, MissingParameter
from vigil.events.catalog import CATALOG, EventSpec
from vigil.events.catalog.spec import EventType, Level
from vigil.events.model import CustomEvent, SystemEvent, parse_json
from vigil.events.query import EventFilter, bucket_size, parse_keywords, time_range
from vigil.http.calls import CallContext, Operation

VERSION = "2019-01-01"
MAX_PAGE_SIZE = 100
MAX_CUSTOM_EVENTS = 100
"""EventInfo.N entries one PutCustomEvent may carry."""
MAX_INGESTED_EVENTS = 1000
"""Events one PutSystemEvents may carry."""
PUBLISHERS = {spec.product.lower(): spec.product for spec in CATALOG.values() if spec.product != "KMS"}
"""Products that publish their own catalog events through PutSystemEvents. KMS events are raised
by Vigil itself, from the change that causes them, and cannot be published from outside."""

Result = dict[str, Any]
_OK: Result = {"Code": "200", "Message": "", "Success": "true"}
_LEVELS = tuple(level.value for level in Level)
_EVENT_TYPES = {t.value.lower(): t.value for t in EventType}


def event_resource(ctx: CallContext, _: Params) -> str:
    """Every event action is authorised on acs:cms:<region>:<uid>:event/*."""
    return ctx.arn("event", "*", product="cms")


# -- parameters ------------------------------------------------------------------------------


def _text(p: Params, name: str) -> str | None:
    """A filter value with stray whitespace trimmed; None when absent or blank."""
    value = p.str(name, max_len=1024)
    return (value.strip() or None) if value is not None else None


def _level(p: Params) -> str | None:
    level = _text(p, "Level")
    if level is not None and level.upper() not in _LEVELS:
        raise InvalidArgument(f"Level {level[:40]!r} must be one of {', '.join(_LEVELS)}")
    return level.upper() if level else None


def _event_type(p: Params) -> str | None:
    event_type = _text(p, "EventType")
    if event_type is None:
        return None
    known = _EVENT_TYPES.get(event_type.lower())
    if known is None:
        raise InvalidArgument(
            f"EventType {event_type[:40]!r} must be one of {', '.join(_EVENT_TYPES.values())}"
        )
    return known


def _range(ctx: CallContext, p: Params) -> tuple[int, int]:
    now = ctx.services.clock.now_ms()
    return time_range(p.str("StartTime"), p.str("EndTime"), now, ctx.services.events.retention_days)


def event_filter(ctx: CallContext, p: Params) -> EventFilter:
    """The filters the three system-event queries share. Raises InvalidArgument naming the parameter."""
    start_ms, end_ms = _range(ctx, p)
    return EventFilter(
        start_ms,
        end_ms,
        product=_text(p, "Product"),
        event_type=_event_type(p),
        name=_text(p, "Name"),
        level=_level(p),
        status=_text(p, "Status"),
        group_id=_text(p, "GroupId"),
        keywords=parse_keywords(p.str("SearchKeywords", max_len=1024)),
    )


def _page(p: Params) -> tuple[int, int]:
    return p.int("PageNumber", 1, lo=1, hi=1_000_000), p.int("PageSize", 10, lo=1, hi=MAX_PAGE_SIZE)


def _content(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"))


# -- system events ---------------------------------------------------------------------------


def _system_event(e: SystemEvent) -> Result:
    return {
        "Id": e.event_id,
        "Product": e.product,
        "Name": e.name,
        "Level": e.level,
        "Status": e.status,
        "Time": e.time_ms,
        "RegionId": e.region_id,
        "ResourceId": e.resource_id,
        "InstanceName": e.instance_name,
        "GroupId": e.group_id,
        "Content": _content(e.content),
    }


def describe_system_event_attribute(ctx: CallContext, p: Params) -> Result:
    f = event_filter(ctx, p)
    number, size = _page(p)
    found = ctx.services.events.search(ctx.account_id, f, number, size)
    return {"SystemEvents": {"SystemEvent": [_system_event(e) for e in found]}, **_OK}


def describe_system_event_count(ctx: CallContext, p: Params) -> Result:
    """One row per product, name, level, status and group: its count and its newest event."""
    rows = ctx.services.events.count(ctx.account_id, event_filter(ctx, p))
    counts = [{**_system_event(e), "Num": n} for e, n in rows]
    for row in counts:
        del row["Id"]
    return {"SystemEventCounts": {"SystemEventCount": counts}, **_OK}


def describe_system_event_histogram(ctx: CallContext, p: Params) -> Result:
    """At most 24 buckets of whole minutes, aligned to StartTime; empty buckets included."""
    f = event_filter(ctx, p)
    buckets = ctx.services.events.histogram(ctx.account_id, f, bucket_size(f.start_ms, f.end_ms))
    items = [{"StartTime": start, "EndTime": end, "Count": n} for start, end, n in buckets]
    return {"SystemEventHistograms": {"SystemEventHistogram": items}, **_OK}


def _meta(spec: EventSpec) -> Result:
    return {
        "Product": spec.product,
        "EventType": spec.event_type.value,
        "Name": spec.name,
        "NameDesc": spec.title_zh or spec.title,
        "NameDesc.En": spec.title,
        "Level": spec.level.value,
        "Status": spec.status,
        "StatusDesc": spec.status_desc or spec.status,
    }


def describe_system_event_meta_list(_: CallContext, __: Params) -> Result:
    resources = [_meta(spec) for spec in CATALOG.values()]
    return {"Data": {"Resource": resources}, "Code": 200, "Message": "", "Success": True}


# -- fire drills -----------------------------------------------------------------------------


def _drill_spec(p: Params) -> EventSpec:
    product, name = p.required("Product").strip(), p.required("EventName").strip()
    spec = CATALOG.get(name)
    if spec is None:
        raise InvalidArgument(
            f"EventName {name[:128]!r} is not an event of the catalog (see DescribeSystemEventMetaList)"
        )
    if spec.product.lower() != product.lower():
        raise InvalidArgument(
            f"Product {product[:40]!r} does not match EventName {name}, a {spec.product} event"
        )
    return spec


def _drill_content(spec: EventSpec, p: Params) -> dict[str, Any]:
    """EventContent as given, or else the content of the catalog's example (without its event id)."""
    given = p.json_object("EventContent")
    if given is not None:
        return given
    example = dict(spec.example.get("content") or {})
    if spec.event_id_key is not None:
        example.pop(spec.event_id_key, None)
    return example


def _drill_resource(ctx: CallContext, spec: EventSpec) -> tuple[str, str]:
    """The example's resource ARN, moved into the caller's region and account, and its name."""
    parts = str(spec.example.get("resourceId", "")).split(":", 4)
    if len(parts) == 5:
        parts[2], parts[3] = ctx.region, ctx.account_id
    return ":".join(parts), str(spec.example.get("instanceName", ""))


def send_dry_run_system_event(ctx: CallContext, p: Params) -> Result:
    """Raise a catalog event marked as a drill: ``drill: true`` in its payload and in its content."""
    spec = _drill_spec(p)
    resource_id, instance_name = _drill_resource(ctx, spec)
    ctx.services.events.raise_event(
        ctx.account_id,
        spec.name,
        resource_id=resource_id,
        instance_name=instance_name,
        content=_drill_content(spec, p),
        group_id=_text(p, "GroupId") or "0",
        drill=True,
        source="drill",
    )
    return dict(_OK)


# -- custom events ---------------------------------------------------------------------------


def put_custom_event(ctx: CallContext, p: Params) -> Result:
    infos = p.objects("EventInfo")
    if not infos:
        raise MissingParameter("EventInfo.1.EventName and EventInfo.1.Content are mandatory for this action")
    if len(infos) > MAX_CUSTOM_EVENTS:
        raise InvalidArgument(f"EventInfo may carry at most {MAX_CUSTOM_EVENTS} events, got {len(infos)}")
    ctx.services.events.put_custom_events(ctx.account_id, infos)
    return {"Code": "200", "Message": ""}


def _custom_event(e: CustomEvent) -> Result:
    return {
        "Id": e.event_id,
        "Name": e.name,
        "Content": e.content,
        "GroupId": e.group_id,
        "Time": str(e.time_ms),
    }


def describe_custom_event_attribute(ctx: CallContext, p: Params) -> Result:
    start_ms, end_ms = _range(ctx, p)
    number, size = _page(p)
    found = ctx.services.events.search_custom(
        ctx.account_id,
        name=_text(p, "Name"),
        event_id=_text(p, "EventId"),
        group_id=_text(p, "GroupId"),
        keywords=parse_keywords(p.str("SearchKeywords", max_len=1024)),
        start_ms=start_ms,
        end_ms=end_ms,
        page=number,
        size=size,
    )
    return {"CustomEvents": {"CustomEvent": [_custom_event(e) for e in found]}, **_OK}


# -- Vigil: system-event ingest --------------------------------------------------------------


def _publisher(p: Params) -> str:
    product = p.required("Product").strip()
    known = PUBLISHERS.get(product.lower())
    if known is None:
        raise InvalidArgument(
            f"Product {product[:40]!r} does not publish system events here; "
            f"registered products: {', '.join(sorted(PUBLISHERS.values()))}"
        )
    return known


def _published_events(p: Params) -> list[Any]:
    text = p.required("Events", max_len=16 * 1024 * 1024)
    try:
        events = parse_json(text)
    except (ValueError, RecursionError):
        raise InvalidArgument("Events must be a JSON list of event payloads") from None
    if not isinstance(events, list) or not events:
        raise InvalidArgument("Events must be a non-empty JSON list of event payloads")
    if len(events) > MAX_INGESTED_EVENTS:
        raise InvalidArgument(f"Events may list at most {MAX_INGESTED_EVENTS} events, got {len(events)}")
    return events


def put_system_events(ctx: CallContext, p: Params) -> Result:
    """Store a registered product's events after checking each against the catalog, all or none."""
    product, events = _publisher(p), _published_events(p)
    try:
        stored = ctx.services.events.ingest(ctx.account_id, product, events)
    except InvalidArgument as exc:
        raise InvalidArgument(f"Events: {exc.message}") from None
    return {"EventIds": {"EventId": [e.event_id for e in stored]}}


def _op(name: str, handler: Any, rw: str) -> Operation:
    return Operation("Cms", name, handler, rw, True, event_resource)


OPERATIONS = [
    _op("DescribeSystemEventAttribute", describe_system_event_attribute, "Read"),
    _op("DescribeSystemEventCount", describe_system_event_count, "Read"),
    _op("DescribeSystemEventHistogram", describe_system_event_histogram, "Read"),
    _op("DescribeSystemEventMetaList", describe_system_event_meta_list, "Read"),
    _op("SendDryRunSystemEvent", send_dry_run_system_event, "Write"),
    _op("PutCustomEvent", put_custom_event, "Write"),
    _op("DescribeCustomEventAttribute", describe_custom_event_attribute, "Read"),
]

VIGIL_OPERATIONS = [Operation("Vigil", "PutSystemEvents", put_system_events, "Write", True, event_resource)]
