"""Huawei Cloud CSMS secret events (subscriptions of secrets to event types) and notification records.

A secret event is an alerting subscription of kind ``secret_event``: it takes the catalog events
of its CSMS types, for the secrets whose ``event_subscriptions`` name it. A WEBHOOK notification
carries its URL in ``target_id``; SMN and CONTACT_GROUP name a Vigil contact group in ``target_name``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

from vigil.alerting.model import NotificationRecord, SourceKind, Target, TargetKind
from vigil.alerting.notifiers.base import safe_origin, url_problem
from vigil.alerting.notifiers.webhook import HTTP_SCHEMES
from vigil.alerting.patterns import EventPattern, RuleState
from vigil.alerting.records import RecordFilter
from vigil.alerting.subscriptions import NAME, Subscription
from vigil.dialects.huawei.csms import DEFAULT_PAGE, MAX_PAGE, TYPE_NAMES, op, page_info
from vigil.dialects.huawei.rest import Fields, Route
from vigil.errors import InvalidArgument, MissingParameter
from vigil.events.catalog.csms import TRIGGERS, TriggerEventType
from vigil.http.calls import CallContext
from vigil.secrets.model import SecretType

Result = dict[str, Any]
T = TypeVar("T")

KIND = SourceKind.SECRET_EVENT.value
MAX_EVENT_TYPES = 12
MAX_TARGET_FIELD = 2048
WEBHOOK = "WEBHOOK"
GROUP_TYPES = ("SMN", "CONTACT_GROUP")
WEBHOOK_TARGET_ID = "webhook"
"""The id of a webhook target inside its subscription; the URL is the Huawei ``target_id``."""
TARGET_TYPE = "TargetType"
TARGET_NAME = "TargetName"
"""Target params that keep what the caller sent, so the event reads back as it was written."""


# -- shapes ----------------------------------------------------------------------------------


def notification_view(t: Target) -> Result:
    """The CSMS ``Notification`` model of a secret event's target."""
    if t.kind is TargetKind.WEBHOOK:
        return {
            "target_type": WEBHOOK,
            "target_id": t.params.get("Url", ""),
            "target_name": t.params.get(TARGET_NAME, ""),
        }
    return {
        "target_type": t.params.get(TARGET_TYPE, "CONTACT_GROUP"),
        "target_id": t.target_id,
        "target_name": t.params.get("ContactGroupName", ""),
    }


def event_view(s: Subscription) -> Result:
    """The CSMS ``Event`` model of a stored secret event."""
    return {
        "name": s.name,
        "event_id": s.subscription_id,
        "event_types": list(s.event_types),
        "state": s.state.value,
        "create_time": s.created_at,
        "update_time": s.updated_at,
        "notification": notification_view(s.targets[0]) if s.targets else None,
    }


def record_view(r: NotificationRecord) -> Result:
    """The CSMS ``Record`` model of one delivery, whichever rule, subscription or secret event made it."""
    webhook = r.target_kind == TargetKind.WEBHOOK.value
    return {
        "event_name": r.source_name,
        "trigger_event_type": r.trigger_event_type,
        "create_time": r.created_at,
        "secret_name": r.secret_name,
        "secret_type": csms_secret_type(r.secret_type),
        "notification_target_name": r.target_name,
        # the origin only: a webhook URL's query or user part may carry a token
        "notification_target_id": safe_origin(r.address.get("url", "")) if webhook else r.target_id,
        "notification_content": r.content,
        "notification_status": r.status.value,
    }


def csms_secret_type(stored: str) -> str:
    """Generic is COMMON and Rds is RDS-FG, as in the secret model; any other text stays as it is."""
    try:
        return TYPE_NAMES[SecretType(stored)]
    except (ValueError, KeyError):
        return stored


# -- request fields --------------------------------------------------------------------------


def _name(f: Fields) -> str:
    name = f.required("name", max_len=64)
    if not NAME.match(name):
        raise InvalidArgument(f"name must be 1-64 letters, digits, '_' or '-', got {name[:70]!r}")
    return name


def _event_types(f: Fields) -> tuple[str, ...] | None:
    given = f.str_list("event_types", max_items=MAX_EVENT_TYPES)
    if given is None:
        return None
    if not given:
        raise InvalidArgument("event_types needs at least one event type")
    known = [t.value for t in TriggerEventType]
    for value in given:
        if value not in known:
            raise InvalidArgument(f"event type {value[:64]!r} is not one of {', '.join(known)}")
    return tuple(dict.fromkeys(given))


def _state(f: Fields) -> RuleState | None:
    value = f.str("state", max_len=16)
    if value is None:
        return None
    try:
        return RuleState(value)
    except ValueError:
        raise InvalidArgument(f"state must be ENABLED or DISABLED, got {value!r}") from None


def _notification(f: Fields) -> Target | None:
    raw = f.body.get("notification")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidArgument("notification must be an object {target_type, target_id, target_name}")
    target_type = _text(raw, "target_type")
    target_id = _text(raw, "target_id")
    target_name = _text(raw, "target_name")
    if target_type == WEBHOOK:
        return _webhook(target_id, target_name)
    if target_type in GROUP_TYPES:
        return _contact_group(target_type, target_id, target_name)
    raise InvalidArgument(
        f"notification.target_type {target_type[:32]!r} is not supported; use WEBHOOK (target_id is the URL) "
        "or SMN / CONTACT_GROUP (target_name is a Vigil contact group)"
    )


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TARGET_FIELD:
        raise InvalidArgument(f"notification.{key} must be a string of at most {MAX_TARGET_FIELD} characters")
    return value


def _webhook(url: str, label: str) -> Target:
    problem = url_problem(url, HTTP_SCHEMES)
    if problem is not None:
        raise InvalidArgument(f"notification.target_id of a WEBHOOK is its http(s) URL: {problem}")
    return Target(WEBHOOK_TARGET_ID, TargetKind.WEBHOOK, {"Url": url, "Method": "POST", TARGET_NAME: label})


def _contact_group(target_type: str, target_id: str, group: str) -> Target:
    """An SMN topic stands for a contact group; a group that does not exist makes INVALID records."""
    if not group:
        raise MissingParameter(f"notification.target_name (the contact group) is mandatory for {target_type}")
    params = {"ContactGroupName": group, TARGET_TYPE: target_type}
    return Target(target_id or group, TargetKind.CONTACT_GROUP, params)


def _patterns(event_types: Sequence[str]) -> tuple[EventPattern, ...]:
    """The catalog events that raise these CSMS trigger types."""
    return (EventPattern.create(names=[TRIGGERS[TriggerEventType(t)] for t in event_types]),)


def _mandatory(value: T | None, name: str) -> T:
    if value is None:
        raise MissingParameter(f"{name} is mandatory for this operation")
    return value


# -- secret events ---------------------------------------------------------------------------


def create_secret_event(ctx: CallContext, f: Fields) -> Result:
    name = _name(f)
    event_types = _mandatory(_event_types(f), "event_types")
    sub = Subscription(
        ctx.account_id,
        KIND,
        name,
        str(uuid.uuid4()),
        _mandatory(_state(f), "state"),
        _patterns(event_types),
        (_mandatory(_notification(f), "notification"),),
        event_types=event_types,
    )
    saved = ctx.services.alerting.service.put_subscription(sub, create_only=True)
    return {"event": event_view(saved)}


def show_secret_event(ctx: CallContext, f: Fields) -> Result:
    found = ctx.services.alerting.service.subscription(ctx.account_id, KIND, f.path_param("event_name"))
    return {"event": event_view(found)}


def list_secret_events(ctx: CallContext, f: Fields) -> Result:
    """Secret events ordered by name; ``marker`` is the last name of the previous page."""
    limit = f.query_int("limit", DEFAULT_PAGE, lo=1, hi=MAX_PAGE)
    marker = f.query_str("marker", max_len=64)
    found = ctx.services.alerting.service.subscriptions(ctx.account_id, KIND)
    after = sorted((s for s in found if marker is None or s.name > marker), key=lambda s: s.name)
    page = after[:limit]
    next_marker = page[-1].name if len(after) > limit else ""
    return {"events": [event_view(s) for s in page], "page_info": page_info(next_marker, marker, len(page))}


def update_secret_event(ctx: CallContext, f: Fields) -> Result:
    """Changes what the body names and keeps the rest. Raises SubscriptionNotFound."""
    event_types = _event_types(f)
    state = _state(f)
    target = _notification(f)
    service = ctx.services.alerting.service
    current = service.subscription(ctx.account_id, KIND, f.path_param("event_name"))
    types = current.event_types if event_types is None else event_types
    changed = replace(
        current,
        state=current.state if state is None else state,
        patterns=_patterns(types),
        targets=current.targets if target is None else (target,),
        event_types=types,
    )
    return {"event": event_view(service.put_subscription(changed))}


def delete_secret_event(ctx: CallContext, f: Fields) -> Result:
    ctx.services.alerting.service.delete_subscription(ctx.account_id, KIND, f.path_param("event_name"))
    return {}


# -- notification records --------------------------------------------------------------------


def list_notification_records(ctx: CallContext, f: Fields) -> Result:
    """Every delivery of the account, newest first; ``marker`` is the next_marker of the previous page."""
    limit = f.query_int("limit", DEFAULT_PAGE, lo=1, hi=MAX_PAGE)
    marker = f.query_str("marker", max_len=20)
    if marker is not None and not marker.isdigit():
        raise InvalidArgument(
            f"marker must be the next_marker of the previous page (a number), got {marker!r}"
        )
    before = None if marker is None else int(marker)
    found = ctx.services.alerting.service.records(ctx.account_id, RecordFilter(), before, limit + 1)
    page = found[:limit]
    next_marker = str(page[-1].seq) if len(found) > limit else ""
    return {"records": [record_view(r) for r in page], "page_info": page_info(next_marker, marker, len(page))}


# -- routes ----------------------------------------------------------------------------------


def _event_in_path(ctx: CallContext, f: Fields) -> str:
    return ctx.arn("event", f.path_param("event_name"), "csms")


def _event_in_body(ctx: CallContext, f: Fields) -> str:
    return ctx.arn("event", _name(f), "csms")


def _any_event(ctx: CallContext, _: Fields) -> str:
    return ctx.arn("event", "*", "csms")


EVENT = "csms/events/{event_name}"

ROUTES: list[Route] = [
    Route("POST", "csms/events", op("CreateSecretEvent", create_secret_event, "Write", _event_in_body)),
    Route("GET", "csms/events", op("ListSecretEvents", list_secret_events, "Read", _any_event)),
    Route("GET", EVENT, op("ShowSecretEvent", show_secret_event, "Read", _event_in_path)),
    Route("PUT", EVENT, op("UpdateSecretEvent", update_secret_event, "Write", _event_in_path)),
    Route("DELETE", EVENT, op("DeleteSecretEvent", delete_secret_event, "Write", _event_in_path), 204),
    Route(
        "GET",
        "csms/notification-records",
        op("ListNotificationRecords", list_notification_records, "Read", _any_event),
    ),
]
