"""Vigil's notification operations (API version 2026-11-01): notifications and their
acknowledgement, delivery records, dry runs and test notifications. Thin translations onto
``ctx.services.alerting``; subscriptions, silences and contacts are in ``vigil_alerting``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from vigil import ids
from vigil.alerting.model import (
    AlertEvent,
    DeliveryStatus,
    NotificationRecord,
    NotificationState,
    TargetKind,
)
from vigil.alerting.notifiers.base import safe_origin
from vigil.alerting.records import RecordFilter
from vigil.dialects.alibaba.pop import Params
from vigil.dialects.alibaba.vigil_alerting import (
    caller,
    json_fields,
    json_text,
    json_whole,
    resource_on,
    target_of,
    vigil_op,
)
from vigil.errors import InvalidArgument, MissingParameter, NotFound
from vigil.events import store as events_store
from vigil.events.catalog import CATALOG, EventSpec, Level
from vigil.events.model import SystemEvent
from vigil.events.query import parse_time
from vigil.http.calls import CallContext, Operation

Result = dict[str, Any]
SAMPLE_EVENT = "Key:DeleteKey:ScheduleDeletion"
"""The event a test notification carries when the caller gives none (marked as a drill)."""
MAX_RECORDS = 100
_EVENT_KEYS = (
    "id", "product", "name", "level", "status", "resourceId", "instanceName", "regionId", "userId",
    "groupId", "time", "content", "drill",
)  # fmt: skip


# -- notifications and delivery records ------------------------------------------------------


def list_notifications(ctx: CallContext, p: Params) -> Result:
    state = (p.str("State") or "").upper() or None
    if state is not None and state not in NotificationState.__members__:
        raise InvalidArgument(f"State must be one of {', '.join(NotificationState)}, got {state[:40]!r}")
    found = ctx.services.alerting.service.notifications(
        ctx.account_id, state, p.int("Limit", 50, lo=1, hi=500)
    )
    return {"Notifications": [n.to_json() for n in found]}


def _set_state(ctx: CallContext, p: Params, state: NotificationState) -> Result:
    found = ctx.services.alerting.service.set_notification_state(
        ctx.account_id,
        p.required("NotificationId"),
        state,
        caller(ctx),
        p.str("Comment", "", max_len=1024) or "",
    )
    return {"Notification": found.to_json()}


def acknowledge_notification(ctx: CallContext, p: Params) -> Result:
    """Acknowledging stops escalation; the notification stays listed as ACKNOWLEDGED."""
    return _set_state(ctx, p, NotificationState.ACKNOWLEDGED)


def resolve_notification(ctx: CallContext, p: Params) -> Result:
    return _set_state(ctx, p, NotificationState.RESOLVED)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _target_name(kind: str, name: str) -> str:
    """A webhook target is named by its URL, where a chat token may sit in the path or query:
    only its origin is shown."""
    return safe_origin(name, path=False) if kind == TargetKind.WEBHOOK else name


def _record_json(r: NotificationRecord) -> Result:
    """Every field but the address, which may hold a chat token (see _target_name)."""
    shown = {
        _pascal(f.name): getattr(r, f.name)
        for f in dataclasses.fields(r)
        if f.name not in ("address", "extra")
    }
    try:
        content: Any = json.loads(r.content)
    except ValueError:
        content = r.content
    return {
        **shown,
        "TargetName": _target_name(r.target_kind, r.target_name),
        "Content": content,
        "Status": r.status.value,
    }


def _filter_text(p: Params, name: str) -> str | None:
    return (p.str(name, max_len=1024) or "").strip() or None


def _record_filter(p: Params) -> RecordFilter:
    status = (p.str("Status") or "").upper() or None
    if status is not None and status not in DeliveryStatus.__members__:
        raise InvalidArgument(f"Status must be one of {', '.join(DeliveryStatus)}, got {status[:40]!r}")
    start, end = parse_time(p.str("StartTime"), "StartTime"), parse_time(p.str("EndTime"), "EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidArgument("StartTime must not be after EndTime")
    return RecordFilter(
        start,
        end,
        status,
        _filter_text(p, "RuleName"),
        _filter_text(p, "Target"),
        _filter_text(p, "EventName"),
        _filter_text(p, "Resource"),
        _filter_text(p, "NotificationId"),
    )


def list_notification_records(ctx: CallContext, p: Params) -> Result:
    """Newest first; NextToken is the marker of the next (older) page, "" after the last."""
    limit = p.int("MaxResults", 20, lo=1, hi=MAX_RECORDS)
    marker = p.str("NextToken", max_len=20)
    if marker is not None and not marker.isdigit():
        raise InvalidArgument("NextToken must be the NextToken of an earlier answer")
    f = _record_filter(p)
    found = ctx.services.alerting.service.records(
        ctx.account_id, f, None if marker is None else int(marker), limit + 1
    )
    shown = found[:limit]
    return {
        "Records": [_record_json(r) for r in shown],
        "NextToken": str(shown[-1].seq) if len(found) > limit else "",
    }


# -- dry runs and test notifications ---------------------------------------------------------


def _sample_resource(ctx: CallContext, spec: EventSpec) -> str:
    """The catalog example's resource ARN moved into the caller's region and account."""
    parts = str(spec.example.get("resourceId", "")).split(":", 4)
    if len(parts) == 5:
        parts[2], parts[3] = ctx.region, ctx.account_id
    return ":".join(parts)


def _content(ctx: CallContext, spec: EventSpec, fields: dict[str, Any], now: int) -> dict[str, Any]:
    """The given content, or the catalog example's with its resource moved to the caller's account."""
    given = fields.get("content")
    if given is not None:
        if not isinstance(given, dict):
            raise InvalidArgument("Event.content must be a JSON object")
        return dict(given)
    example_resource, resource = spec.example.get("resourceId"), _sample_resource(ctx, spec)
    content = {
        k: resource if v == example_resource else v for k, v in (spec.example.get("content") or {}).items()
    }
    if spec.event_id_key is not None:
        content[spec.event_id_key] = f"{ctx.account_id}:{spec.example.get('instanceName', '')}:{now // 1000}"
    return content


def system_event(ctx: CallContext, raw: Any, *, drill: bool) -> SystemEvent:
    """An event in the seed payload shape; what it leaves out comes from the catalog and its example.
    Raises InvalidArgument naming the field."""
    fields = json_fields(raw, "Event", _EVENT_KEYS)
    name = json_text(fields, "name", "Event", required=True, max_len=128)
    spec = CATALOG.get(name)
    if spec is None:
        raise InvalidArgument(f"Event.name {name!r} is not an event of the catalog")
    product = json_text(fields, "product", "Event")
    if product and product.lower() != spec.product.lower():
        raise InvalidArgument(f"Event.product {product[:40]!r} does not match {name}, a {spec.product} event")
    level = (json_text(fields, "level", "Event") or spec.level.value).upper()
    if level not in Level.__members__:
        raise InvalidArgument(f"Event.level must be one of {', '.join(Level)}, got {level[:40]!r}")
    now = ctx.services.clock.now_ms()
    at = now if fields.get("time") is None else json_whole(fields, "time", "Event")
    drill = drill or fields.get("drill") is True
    content = _content(ctx, spec, fields, now)
    return SystemEvent(
        json_text(fields, "id", "Event", max_len=128) or ids.time_ordered_uuid(now),
        ctx.account_id,
        spec.product,
        spec.name,
        level,
        spec.event_type.value,
        json_text(fields, "status", "Event") or spec.status,
        json_text(fields, "groupId", "Event") or "0",
        json_text(fields, "resourceId", "Event") or _sample_resource(ctx, spec),
        json_text(fields, "instanceName", "Event") or str(spec.example.get("instanceName", "")),
        ctx.region,
        at,
        {**content, "drill": True} if drill else content,
        drill,
        "dryrun",
    )


def _stored_event(ctx: CallContext, event_id: str) -> AlertEvent:
    with ctx.services.db.transaction(write=False) as tx:
        system = events_store.event_by_id(tx, event_id)
        custom = events_store.custom_by_id(tx, event_id) if system is None else None
    if system is not None and system.account_id == ctx.account_id:
        return AlertEvent.of_system(system)
    if custom is not None and custom.account_id == ctx.account_id:
        return AlertEvent.of_custom(custom)
    raise NotFound(f"event {event_id[:70]!r} does not exist", code="EventNotFound")


def test_event_routing(ctx: CallContext, p: Params) -> Result:
    """Which rules and subscriptions would take the event (given, or stored with EventId), and why not."""
    raw, event_id = p.json("Event"), p.str("EventId", max_len=128)
    if (raw is None) == (event_id is None):
        raise InvalidArgument("give either Event (a JSON event) or EventId (a stored event)")
    event = (
        _stored_event(ctx, event_id)
        if event_id is not None
        else AlertEvent.of_system(system_event(ctx, raw, drill=False))
    )
    routes = [r.to_json() for r in ctx.services.alerting.dry_run.explain(event)]
    for route in routes:
        for t in route["Targets"]:
            t["TargetName"] = _target_name(t["TargetKind"], t["TargetName"])
    return {"EventId": event.event_id, "EventName": event.name, "Routes": routes}


def send_test_notification(ctx: CallContext, p: Params) -> Result:
    """Send a drill-marked event to one target now and wait for the outcome (records of source "test")."""
    target_raw = p.json("Target")
    if target_raw is None:
        raise MissingParameter("Target is mandatory for this action")
    target = target_of(target_raw, "Target", default_id="test", strict=False)
    raw = p.json("Event")
    event = system_event(ctx, {"name": SAMPLE_EVENT} if raw is None else raw, drill=True)
    sent = ctx.services.alerting.dry_run.send_test(ctx.account_id, target, AlertEvent.of_system(event))
    return {"EventId": event.event_id, "Records": [_record_json(r) for r in sent]}


OPERATIONS: list[Operation] = [
    vigil_op("ListNotifications", list_notifications, "Read", resource_on("notification")),
    vigil_op(
        "AcknowledgeNotification",
        acknowledge_notification,
        "Write",
        resource_on("notification", "NotificationId"),
    ),
    vigil_op(
        "ResolveNotification", resolve_notification, "Write", resource_on("notification", "NotificationId")
    ),
    vigil_op("ListNotificationRecords", list_notification_records, "Read", resource_on("notification")),
    vigil_op("TestEventRouting", test_event_routing, "Read", resource_on("subscription")),
    vigil_op("SendTestNotification", send_test_notification, "Write", resource_on("notification")),
]
