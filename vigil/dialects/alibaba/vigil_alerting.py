"""Vigil's own alerting operations (API version 2026-11-01): subscriptions, silences and contacts
(notifications, records and dry runs are in ``vigil_notifications``). Thin translations onto ``ctx.services.alerting``;
JSON-valued parameters travel as JSON strings and every error names the parameter at fault.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from vigil.alerting.model import (
    Contact,
    SourceKind,
    Target,
    TargetKind,
)
from vigil.alerting.notifiers.base import url_problem
from vigil.alerting.patterns import EventPattern, RuleState
from vigil.alerting.service import MAX_SILENCE_S, MAX_TARGETS
from vigil.alerting.sqlfilter import SqlFilterError
from vigil.alerting.subscriptions import (
    NAME,
    EscalationStep,
    MergePolicy,
    NoisePolicy,
    Subscription,
    check_window,
)
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument, MissingParameter
from vigil.http.calls import CallContext, Operation, ResourceOf

Result = dict[str, Any]
SUBSCRIPTION = SourceKind.SUBSCRIPTION.value
MAX_MERGE_FIELDS = 8
MAX_ESCALATION_STEPS = 10
MAX_NOISE_COUNT = 10_000
_LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_HTTP = frozenset({"http", "https"})
_PATTERN_KEYS = tuple(EventPattern().to_json())
_TARGET_PARAMS = {
    TargetKind.WEBHOOK: ("Url", "Method"),
    TargetKind.CONTACT_GROUP: ("ContactGroupName",),
    TargetKind.LOG: ("Project", "LogStore"),
    TargetKind.QUEUE: ("Region", "Queue", "Topic"),
}
_ANY_TARGET_PARAM = tuple(dict.fromkeys(k for keys in _TARGET_PARAMS.values() for k in keys))
_TARGET_REQUIRED = {
    TargetKind.WEBHOOK: ("Url",),
    TargetKind.CONTACT_GROUP: ("ContactGroupName",),
    TargetKind.LOG: ("Project", "LogStore"),
    TargetKind.QUEUE: (),
}


# -- values inside JSON parameters -----------------------------------------------------------


def _json_list(p: Params, name: str, *, required: bool = False) -> list[Any]:
    value = p.json(name)
    if value is None:
        if required:
            raise MissingParameter(f"{name} is mandatory for this action")
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"{name} must be a JSON list")
    return value


def json_fields(raw: Any, where: str, allowed: Sequence[str]) -> dict[str, Any]:
    """``raw`` as a JSON object holding no key outside ``allowed``."""
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{where} must be a JSON object")
    unknown = sorted(k for k in raw if k not in allowed)
    if unknown:
        raise InvalidArgument(
            f"{where} has an unknown field {unknown[0][:40]!r}; known: {', '.join(allowed)}"
        )
    return raw


def json_text(
    raw: dict[str, Any], key: str, where: str, *, required: bool = False, max_len: int = 1024
) -> str:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise InvalidArgument(f"{where}.{key} is mandatory")
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{where}.{key} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidArgument(f"{where}.{key} is too long: at most {max_len} characters")
    return value.strip()


def _texts(raw: dict[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidArgument(f"{where}.{key} must be a list of non-empty strings")
    return [v.strip() for v in value]


def json_whole(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if value is None:
        raise InvalidArgument(f"{where}.{key} is mandatory")
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgument(f"{where}.{key} must be a whole number, got {json.dumps(value)[:40]}")
    return value


# -- subscriptions ---------------------------------------------------------------------------


def _pattern(raw: Any, where: str) -> EventPattern:
    fields = json_fields(raw, where, _PATTERN_KEYS)
    try:
        return EventPattern.create(
            product=json_text(fields, "Product", where),
            event_types=_texts(fields, "EventTypeList", where),
            levels=_texts(fields, "LevelList", where),
            names=_texts(fields, "NameList", where),
            statuses=_texts(fields, "StatusList", where),
            custom_filters=json_text(fields, "CustomFilters", where),
            sql_filter=json_text(fields, "SQLFilter", where, max_len=4096),
        )
    except SqlFilterError as exc:
        raise InvalidArgument(f"{where}.{exc.message}", code=exc.code) from None


def target_of(raw: Any, where: str, *, default_id: str | None = None, strict: bool = True) -> Target:
    """One target object: Id, Type and the CMS parameter names of its kind. ``strict`` also refuses
    a webhook URL or method that can never work (a test notification records those as INVALID)."""
    kind_text = json_text(
        json_fields(raw, where, ("Id", "Type", *_ANY_TARGET_PARAM)), "Type", where, required=True
    )
    try:
        kind = TargetKind(kind_text.lower())
    except ValueError:
        kinds = ", ".join(k.value for k in TargetKind)
        raise InvalidArgument(f"{where}.Type must be one of {kinds}, got {kind_text[:40]!r}") from None
    fields = json_fields(raw, where, ("Id", "Type", *_TARGET_PARAMS[kind]))
    params = {k: v for k in _TARGET_PARAMS[kind] if (v := json_text(fields, k, where))}
    for key in _TARGET_REQUIRED[kind]:
        if key not in params:
            raise InvalidArgument(f"{where}.{key} is mandatory for a {kind.value} target")
    if kind is TargetKind.QUEUE and not (params.get("Queue") or params.get("Topic")):
        raise InvalidArgument(f"{where} needs a Queue (Redis stream) or a Topic (NATS subject)")
    if strict and kind is TargetKind.WEBHOOK:
        problem = url_problem(params["Url"], _HTTP)
        if params.get("Method", "POST").upper() not in ("POST", "GET"):
            problem = "the method must be POST or GET"
        if problem is not None:
            raise InvalidArgument(f"{where}: {problem}")
    target_id = json_text(fields, "Id", where, required=default_id is None, max_len=64) or str(default_id)
    return Target(target_id, kind, params)


def _targets(p: Params) -> tuple[Target, ...]:
    raw = _json_list(p, "Targets", required=True)
    if not raw or len(raw) > MAX_TARGETS:
        raise InvalidArgument(f"Targets must list 1-{MAX_TARGETS} targets")
    targets = tuple(target_of(t, f"Targets[{i}]") for i, t in enumerate(raw, start=1))
    ids_seen = [t.target_id for t in targets]
    duplicate = next((i for i in ids_seen if ids_seen.count(i) > 1), None)
    if duplicate is not None:
        raise InvalidArgument(f"Targets: the target id {duplicate!r} is used twice")
    return targets


def _merge(p: Params) -> MergePolicy | None:
    raw = p.json("Merge")
    if raw is None:
        return None
    fields = json_fields(raw, "Merge", ("Fields", "WindowSeconds"))
    names = _texts(fields, "Fields", "Merge")
    if not names or len(names) > MAX_MERGE_FIELDS:
        raise InvalidArgument(f"Merge.Fields must list 1-{MAX_MERGE_FIELDS} event fields")
    return MergePolicy(
        tuple(names), check_window("Merge.WindowSeconds", json_whole(fields, "WindowSeconds", "Merge"))
    )


def _noise(p: Params) -> NoisePolicy | None:
    raw = p.json("Noise")
    if raw is None:
        return None
    fields = json_fields(raw, "Noise", ("MinCount", "WindowSeconds"))
    count = json_whole(fields, "MinCount", "Noise")
    if not 1 <= count <= MAX_NOISE_COUNT:
        raise InvalidArgument(f"Noise.MinCount must be 1-{MAX_NOISE_COUNT}, got {count}")
    return NoisePolicy(
        count, check_window("Noise.WindowSeconds", json_whole(fields, "WindowSeconds", "Noise"))
    )


def _escalation(p: Params) -> tuple[EscalationStep, ...]:
    raw = _json_list(p, "Escalation")
    if len(raw) > MAX_ESCALATION_STEPS:
        raise InvalidArgument(f"Escalation may have at most {MAX_ESCALATION_STEPS} steps")
    steps = []
    for i, step in enumerate(raw, start=1):
        where = f"Escalation[{i}]"
        fields = json_fields(step, where, ("ContactGroup", "AfterSeconds"))
        after = check_window(f"{where}.AfterSeconds", json_whole(fields, "AfterSeconds", where))
        steps.append(
            EscalationStep(json_text(fields, "ContactGroup", where, required=True, max_len=64), after)
        )
    return tuple(steps)


def _name(p: Params) -> str:
    name = p.required("Name", max_len=128)
    if not NAME.match(name):
        raise InvalidArgument(f"Name must be 1-64 letters, digits, '_' or '-', got {name[:70]!r}")
    return name


def _state(p: Params) -> RuleState:
    text = (p.str("State") or RuleState.ENABLED.value).upper()
    if text not in RuleState.__members__:
        raise InvalidArgument(f"State must be ENABLED or DISABLED, got {text[:40]!r}")
    return RuleState(text)


def _subscription_json(s: Subscription) -> Result:
    return {
        "Name": s.name,
        "SubscriptionId": s.subscription_id,
        "Description": s.description,
        "State": s.state.value,
        "EventPattern": [pattern.to_json() for pattern in s.patterns],
        "Targets": [{"Id": t.target_id, "Type": t.kind.value, **t.params} for t in s.targets],
        "Merge": None
        if s.merge is None
        else {"Fields": list(s.merge.fields), "WindowSeconds": s.merge.window_s},
        "Noise": None
        if s.noise is None
        else {"MinCount": s.noise.min_count, "WindowSeconds": s.noise.window_s},
        "DedupSeconds": s.dedup_s,
        "Escalation": [{"ContactGroup": e.contact_group, "AfterSeconds": e.after_s} for e in s.escalation],
        "CreatedAt": s.created_at,
        "UpdatedAt": s.updated_at,
    }


def put_subscription(ctx: CallContext, p: Params) -> Result:
    """Create or replace a subscription; its id and creation time survive a replacement."""
    dedup = p.int("DedupSeconds", 0)
    sub = Subscription(
        ctx.account_id,
        SUBSCRIPTION,
        _name(p),
        str(uuid.uuid4()),
        _state(p),
        tuple(_pattern(raw, f"EventPattern[{i}]") for i, raw in enumerate(_json_list(p, "EventPattern"), 1)),
        _targets(p),
        _merge(p),
        _noise(p),
        check_window("DedupSeconds", dedup) if dedup else 0,
        _escalation(p),
        p.str("Description", "", max_len=256) or "",
    )
    return {"Subscription": _subscription_json(ctx.services.alerting.service.put_subscription(sub))}


def describe_subscription(ctx: CallContext, p: Params) -> Result:
    found = ctx.services.alerting.service.subscription(ctx.account_id, SUBSCRIPTION, p.required("Name"))
    return {"Subscription": _subscription_json(found)}


def list_subscriptions(ctx: CallContext, _: Params) -> Result:
    found = ctx.services.alerting.service.subscriptions(ctx.account_id, SUBSCRIPTION)
    return {"Subscriptions": [_subscription_json(s) for s in found]}


def delete_subscription(ctx: CallContext, p: Params) -> Result:
    ctx.services.alerting.service.delete_subscription(ctx.account_id, SUBSCRIPTION, p.required("Name"))
    return {}


# -- silences --------------------------------------------------------------------------------


def _iso_ms(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def _instant(p: Params, name: str) -> int | None:
    """Unix milliseconds or ISO-8601 (UTC unless it says otherwise). Raises InvalidArgument."""
    text = (p.str(name, max_len=64) or "").strip()
    if not text:
        return None
    try:
        value = int(text) if text.isdigit() else _iso_ms(text)
    except (ValueError, OverflowError):
        value = -1
    if not 0 <= value <= _LATEST_MS:
        raise InvalidArgument(f"{name} must be Unix milliseconds or an ISO-8601 time, got {text[:40]!r}")
    return value


def caller(ctx: CallContext) -> str:
    return ctx.principal.user_name or "root"


def create_silence(ctx: CallContext, p: Params) -> Result:
    """EndsAt, or DurationSeconds counted from StartsAt (default: the server's now)."""
    matchers = _json_list(p, "Matchers", required=True)
    for i, m in enumerate(matchers, start=1):
        json_fields(m, f"Matchers[{i}]", ("field", "op", "value"))
    starts_at, ends_at = _instant(p, "StartsAt"), _instant(p, "EndsAt")
    if ("DurationSeconds" in p) == (ends_at is not None):
        raise InvalidArgument("give either EndsAt or DurationSeconds")
    if ends_at is None:
        # one reading of the clock for both ends, so the silence lasts exactly its duration
        starts_at = ctx.services.clock.now_ms() if starts_at is None else starts_at
        ends_at = starts_at + p.int("DurationSeconds", lo=1, hi=MAX_SILENCE_S) * 1000
    silence = ctx.services.alerting.service.create_silence(
        ctx.account_id,
        matchers,
        starts_at,
        ends_at,
        p.json_object("Recurrence"),
        p.str("Author", max_len=128) or caller(ctx),
        p.required("Comment", max_len=1024),
    )
    return {"Silence": silence.to_json(ctx.services.clock.now_ms())}


def expire_silence(ctx: CallContext, p: Params) -> Result:
    silence = ctx.services.alerting.service.expire_silence(ctx.account_id, p.required("SilenceId"))
    return {"Silence": silence.to_json(ctx.services.clock.now_ms())}


def list_silences(ctx: CallContext, p: Params) -> Result:
    found = ctx.services.alerting.service.silences(ctx.account_id, include_expired=p.bool("IncludeExpired"))
    now = ctx.services.clock.now_ms()
    return {"Silences": [s.to_json(now) for s in found]}


# -- contacts --------------------------------------------------------------------------------


def _contact_json(c: Contact) -> Result:
    """The channel names only: a channel's value is an address (a chat webhook may hold a token)."""
    return {
        "Name": c.name,
        "Description": c.description,
        "Lang": c.lang,
        "Channels": sorted(c.channels),
        "Enabled": c.enabled,
        "CreatedAt": c.created_at,
        "UpdatedAt": c.updated_at,
    }


def _contact_enabled(enabled: bool) -> Callable[[CallContext, Params], Result]:
    def handler(ctx: CallContext, p: Params) -> Result:
        name = p.required("ContactName", max_len=128)
        return {
            "Contact": _contact_json(
                ctx.services.alerting.service.set_contact_enabled(ctx.account_id, name, enabled)
            )
        }

    return handler


# -- the operations --------------------------------------------------------------------------


def resource_on(kind: str, param: str | None = None) -> ResourceOf:
    """Authorise on acs:cms:<region>:<uid>:<kind>/<the parameter's value, or *>."""

    def resource(ctx: CallContext, p: Params) -> str:
        value = p.str(param, max_len=128) if param else None
        return ctx.arn(kind, value or "*", product="cms")

    return resource


def vigil_op(name: str, handler: Any, rw: str, resource: ResourceOf) -> Operation:
    return Operation("Vigil", name, handler, rw, True, resource)


OPERATIONS: list[Operation] = [
    vigil_op("PutSubscription", put_subscription, "Write", resource_on("subscription", "Name")),
    vigil_op("DescribeSubscription", describe_subscription, "Read", resource_on("subscription", "Name")),
    vigil_op("ListSubscriptions", list_subscriptions, "Read", resource_on("subscription")),
    vigil_op("DeleteSubscription", delete_subscription, "Write", resource_on("subscription", "Name")),
    vigil_op("CreateSilence", create_silence, "Write", resource_on("silence")),
    vigil_op("ExpireSilence", expire_silence, "Write", resource_on("silence", "SilenceId")),
    vigil_op("ListSilences", list_silences, "Read", resource_on("silence")),
    vigil_op("EnableContact", _contact_enabled(True), "Write", resource_on("contact", "ContactName")),
    vigil_op("DisableContact", _contact_enabled(False), "Write", resource_on("contact", "ContactName")),
]
