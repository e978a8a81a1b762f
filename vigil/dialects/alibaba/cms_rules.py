"""CloudMonitor 2019-01-01 event rules, their targets, contacts and contact groups: thin
translations onto the AlertingService, with the shapes and field types of WIRE.md §4
(``Success`` is a bool here; ``PageNumber``/``PageSize`` are strings in DescribeEventRuleList).

Target kinds Vigil can deliver to: contact groups, webhooks, SLS log stores (a JSON-lines file per
Project/LogStore under the data directory) and MNS queues/topics (a Redis stream / NATS subject).
Function Compute and OpenAPI targets are refused and reported in the Failed… lists.
"""

from __future__ import annotations

from typing import Any

from vigil.alerting.model import Contact, ContactGroup, EventKind, Target, TargetKind
from vigil.alerting.patterns import DEFAULT_SILENCE_TIME_S, EventPattern, EventRule, RuleState
from vigil.alerting.sqlfilter import SqlFilterError
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument
from vigil.events.catalog.spec import EventType, Level
from vigil.http.calls import CallContext, Operation

Result = dict[str, Any]
_OK: Result = {"Code": "200", "Message": "", "Success": True}
MAX_PATTERNS = 10
MAX_LIST = 50
MAX_SILENCE_S = 30 * 86_400
_LEVELS = {level.value for level in Level} | {"*"}
_EVENT_TYPES = {t.value.lower(): t.value for t in EventType} | {"*": "*"}
_CHANNELS = ("Mail", "SMS", "AliIM", "DingWebHook")


class BadSqlFilter(InvalidArgument):
    code = "InvalidParameter.SQLFilter"


def rule_resource(ctx: CallContext, p: Params) -> str:
    return ctx.arn("event-rule", p.str("RuleName") or "*", product="cms")


def contact_resource(ctx: CallContext, _: Params) -> str:
    return ctx.arn("contact", "*", product="cms")


# -- event rules -----------------------------------------------------------------------------


def _strings(raw: Any, label: str) -> list[str]:
    values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
    if len(values) > MAX_LIST:
        raise InvalidArgument(f"{label} may list at most {MAX_LIST} values")
    return [str(v).strip() for v in values if str(v).strip()]


def _pattern(raw: dict[str, Any], n: int) -> EventPattern:
    label = f"EventPattern.{n}"
    levels = [v.upper() for v in _strings(raw.get("LevelList"), f"{label}.LevelList")]
    for level in levels:
        if level not in _LEVELS:
            raise InvalidArgument(
                f"{label}.LevelList: {level[:40]!r} must be one of {', '.join(sorted(_LEVELS))}"
            )
    types = []
    for value in _strings(raw.get("EventTypeList"), f"{label}.EventTypeList"):
        known = _EVENT_TYPES.get(value.lower())
        if known is None:
            raise InvalidArgument(
                f"{label}.EventTypeList: {value[:40]!r} must be one of {', '.join(sorted(_EVENT_TYPES.values()))}"
            )
        types.append(known)
    try:
        return EventPattern.create(
            product=str(raw.get("Product") or ""),
            event_types=types,
            levels=levels,
            names=_strings(raw.get("NameList"), f"{label}.NameList"),
            statuses=_strings(raw.get("StatusList"), f"{label}.StatusList"),
            custom_filters=str(raw.get("CustomFilters") or "")[:1024],
            sql_filter=str(raw.get("SQLFilter") or ""),
        )
    except SqlFilterError as exc:
        raise BadSqlFilter(f"{label}.{exc.message}") from None


def put_event_rule(ctx: CallContext, p: Params) -> Result:
    """Create or replace a rule by RuleName (its targets are kept)."""
    kind = (p.str("EventType") or "SYSTEM").upper()
    if kind not in ("SYSTEM", "CUSTOM"):
        raise InvalidArgument(f"EventType {kind[:40]!r} must be SYSTEM or CUSTOM")
    state = (p.str("State") or "ENABLED").upper()
    if state not in ("ENABLED", "DISABLED"):
        raise InvalidArgument(f"State {state[:40]!r} must be ENABLED or DISABLED")
    raws = p.objects("EventPattern")
    if len(raws) > MAX_PATTERNS:
        raise InvalidArgument(f"EventPattern may have at most {MAX_PATTERNS} entries")
    patterns = tuple(_pattern(raw, n) for n, raw in enumerate(raws, start=1))
    if kind == "SYSTEM" and not patterns:
        raise InvalidArgument("EventPattern.1.Product is required for a SYSTEM rule")
    rule = EventRule(
        ctx.account_id,
        p.required("RuleName", max_len=64),
        p.str("Description", "", max_len=256) or "",
        EventKind(kind),
        RuleState(state),
        p.int("SilenceTime", DEFAULT_SILENCE_TIME_S, lo=0, hi=MAX_SILENCE_S),
        p.str("GroupId", "", max_len=64) or "",
        patterns,
    )
    ctx.services.alerting.service.put_rule(rule)
    return {"Data": "1", **_OK}


def _names(p: Params, name: str) -> list[str]:
    names = p.list(name)
    if not names:
        raise InvalidArgument(f"{name}.1 is required")
    return names


def set_state(state: RuleState) -> Any:
    def handler(ctx: CallContext, p: Params) -> Result:
        ctx.services.alerting.service.set_rules_state(ctx.account_id, _names(p, "RuleNames"), state)
        return dict(_OK)

    return handler


def delete_event_rules(ctx: CallContext, p: Params) -> Result:
    ctx.services.alerting.service.delete_rules(ctx.account_id, _names(p, "RuleNames"))
    return dict(_OK)


def _listed(values: tuple[str, ...], key: str) -> dict[str, list[str]]:
    return {key: list(values)}


def _keywords(pattern: EventPattern, key: str) -> dict[str, Any]:
    return {"Relation": "OR", "Keywords": {key: list(pattern.keywords)}}


def _rule_item(r: EventRule) -> Result:
    return {
        "Name": r.name,
        "Description": r.description,
        "EventType": r.event_type.value,
        "GroupId": r.group_id,
        "SilenceTime": r.silence_time_s,
        "State": r.state.value,
        "EventPattern": {
            "EventPattern": [
                {
                    "Product": pat.product,
                    "SQLFilter": pat.sql_filter,
                    "CustomFilters": ",".join(pat.keywords),
                    "NameList": _listed(pat.names, "NameList"),
                    "LevelList": _listed(pat.levels, "LevelList"),
                    "EventTypeList": _listed(pat.event_types, "EventTypeList"),
                    "KeywordFilter": _keywords(pat, "Keywords"),
                }
                for pat in r.patterns
            ]
        },
    }


def describe_event_rule_list(ctx: CallContext, p: Params) -> Result:
    prefix, group = p.str("NamePrefix", "") or "", p.str("GroupId")
    enabled = None if p.str("IsEnable") is None else p.bool("IsEnable")
    number, size = p.int("PageNumber", 1, lo=1, hi=1_000_000), p.int("PageSize", 10, lo=1, hi=100)
    rules = [
        r
        for r in ctx.services.alerting.service.rules(ctx.account_id)
        if r.name.startswith(prefix)
        and (group is None or r.group_id == group)
        and (enabled is None or (r.state is RuleState.ENABLED) == enabled)
    ]
    page = rules[(number - 1) * size : number * size]
    return {"EventRules": {"EventRule": [_rule_item(r) for r in page]}, "Total": len(rules), **_OK}


def describe_event_rule_attribute(ctx: CallContext, p: Params) -> Result:
    r = ctx.services.alerting.service.rule(ctx.account_id, p.required("RuleName", max_len=64))
    pat = r.patterns[0] if r.patterns else EventPattern()
    return {
        "Result": {
            "Name": r.name,
            "Description": r.description,
            "EventType": r.event_type.value,
            "GroupId": r.group_id,
            "State": r.state.value,
            "EventPattern": {
                "Product": pat.product,
                "SQLFilter": pat.sql_filter,
                "NameList": _listed(pat.names, "NameList"),
                "LevelList": _listed(pat.levels, "LevelList"),
                "StatusList": _listed(pat.statuses, "StatusList"),
                "EventTypeList": _listed(pat.event_types, "EventTypeList"),
                "KeywordFilterObj": _keywords(pat, "keyword"),
            },
        },
        **_OK,
    }


# -- targets ---------------------------------------------------------------------------------

_TARGET_LISTS: tuple[tuple[str, TargetKind, tuple[str, ...]], ...] = (
    ("ContactParameters", TargetKind.CONTACT_GROUP, ("ContactGroupName", "Level")),
    ("WebhookParameters", TargetKind.WEBHOOK, ("Protocol", "Method", "Url")),
    ("SlsParameters", TargetKind.LOG, ("Region", "Project", "LogStore")),
    ("MnsParameters", TargetKind.QUEUE, ("Region", "Queue", "Topic")),
)


def _target(list_name: str, kind: TargetKind, fields: tuple[str, ...], raw: dict[str, Any], n: int) -> Target:
    target_id = str(raw.get("Id") or "").strip()
    if not target_id or len(target_id) > 64:
        raise InvalidArgument(f"{list_name}.{n}.Id is required (at most 64 characters)")
    params = {f: str(raw.get(f) or "").strip() for f in fields}
    if kind is TargetKind.CONTACT_GROUP and not params["ContactGroupName"]:
        raise InvalidArgument(f"{list_name}.{n}.ContactGroupName is required")
    if kind is TargetKind.WEBHOOK:
        if not params["Url"]:
            raise InvalidArgument(f"{list_name}.{n}.Url is required")
        method = (params["Method"] or "POST").upper()
        if method not in ("GET", "POST"):
            raise InvalidArgument(f"{list_name}.{n}.Method must be GET or POST")
        params["Method"] = method
    return Target(target_id, kind, {k: v for k, v in params.items() if v})


def put_event_rule_targets(ctx: CallContext, p: Params) -> Result:
    """Add or replace targets by Id. Function Compute and OpenAPI targets come back as failed."""
    rule_name = p.required("RuleName", max_len=64)
    targets: list[Target] = []
    for list_name, kind, fields in _TARGET_LISTS:
        targets += [
            _target(list_name, kind, fields, raw, n) for n, raw in enumerate(p.objects(list_name), start=1)
        ]
    failed_fc = [
        {
            "Id": _int_id(raw.get("Id")),
            "Region": raw.get("Region", ""),
            "ServiceName": raw.get("ServiceName", ""),
            "FunctionName": raw.get("FunctionName", ""),
        }
        for raw in p.objects("FcParameters")
    ]
    failed_api = p.objects("OpenApiParameters")
    ids = [t.target_id for t in targets]
    if len(ids) != len(set(ids)):
        raise InvalidArgument("target Ids must be unique within one call")
    if not targets and not failed_fc and not failed_api:
        raise InvalidArgument(
            "give at least one of ContactParameters, WebhookParameters, SlsParameters, MnsParameters"
        )
    if targets:
        ctx.services.alerting.service.put_targets(ctx.account_id, rule_name, targets)
    else:
        ctx.services.alerting.service.rule(ctx.account_id, rule_name)  # NotFound for an unknown rule
    failed = len(failed_fc) + len(failed_api)
    result: Result = {
        "FailedParameterCount": str(failed),
        "FailedContactParameters": {"ContactParameter": []},
        "FailedMnsParameters": {"MnsParameter": []},
        "FailedFcParameters": {"FcParameter": failed_fc},
        **_OK,
    }
    if failed:
        result["Message"] = "Function Compute and OpenAPI targets are not supported by Vigil"
    return result


def _int_id(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def describe_event_rule_target_list(ctx: CallContext, p: Params) -> Result:
    rule = ctx.services.alerting.service.rule(ctx.account_id, p.required("RuleName", max_len=64))
    by_kind: dict[TargetKind, list[Result]] = {kind: [] for _, kind, _ in _TARGET_LISTS}
    for t in rule.targets:
        item: Result = {"Id": t.target_id, **t.params}
        if t.kind in (TargetKind.LOG, TargetKind.QUEUE):
            item["Arn"] = _arn(ctx, t)
        by_kind[t.kind].append(item)
    return {
        "ContactParameters": {"ContactParameter": by_kind[TargetKind.CONTACT_GROUP]},
        "WebhookParameters": {"WebhookParameter": by_kind[TargetKind.WEBHOOK]},
        "SlsParameters": {"SlsParameter": by_kind[TargetKind.LOG]},
        "MnsParameters": {"MnsParameter": by_kind[TargetKind.QUEUE]},
        "FcParameters": {"FCParameter": []},
        "OpenApiParameters": {"OpenApiParameters": []},
        "Code": "200",
        "Message": "",
    }


def _arn(ctx: CallContext, t: Target) -> str:
    if t.kind is TargetKind.LOG:
        return f"acs:log:{ctx.region}:{ctx.account_id}:project/{t.params.get('Project', '')}/logstore/{t.params.get('LogStore', '')}"
    return (
        f"acs:mns:{ctx.region}:{ctx.account_id}:/queues/{t.params.get('Queue') or t.params.get('Topic', '')}"
    )


def delete_event_rule_targets(ctx: CallContext, p: Params) -> Result:
    ctx.services.alerting.service.delete_targets(
        ctx.account_id, p.required("RuleName", max_len=64), _names(p, "Ids")
    )
    return dict(_OK)


# -- contacts --------------------------------------------------------------------------------


def put_contact(ctx: CallContext, p: Params) -> Result:
    channels = {name: (p.str(f"Channels.{name}", max_len=1024) or "").strip() for name in _CHANNELS}
    if not any(channels.values()):
        raise InvalidArgument(
            "give at least one of Channels.Mail, Channels.SMS, Channels.AliIM, Channels.DingWebHook"
        )
    mail = channels["Mail"]
    if mail and ("@" not in mail or " " in mail or len(mail) > 254):
        raise InvalidArgument(f"Channels.Mail {mail[:60]!r} is not an email address")
    ctx.services.alerting.service.put_contact(
        ctx.account_id,
        p.required("ContactName", max_len=64),
        p.str("Describe", "", max_len=256) or "",
        p.str("Lang", "zh_CN", max_len=16) or "zh_CN",
        channels,
    )
    return dict(_OK)


def _contact(c: Contact, groups: list[ContactGroup]) -> Result:
    state = "OK" if c.enabled else "DISABLED"
    return {
        "Name": c.name,
        "Desc": c.description,
        "Lang": c.lang,
        "CreateTime": c.created_at,
        "UpdateTime": c.updated_at,
        "Channels": {name: c.channels.get(name, "") for name in _CHANNELS},
        "ChannelsState": {name: state if c.channels.get(name) else "" for name in _CHANNELS},
        "ContactGroups": {"ContactGroup": [g.name for g in groups if c.name in g.contacts]},
    }


def describe_contact_list(ctx: CallContext, p: Params) -> Result:
    service = ctx.services.alerting.service
    name, channel, value = p.str("ContactName"), p.str("ChanelType"), p.str("ChanelValue")
    number, size = p.int("PageNumber", 1, lo=1, hi=1_000_000), p.int("PageSize", 100, lo=1, hi=100)
    contacts = [
        c
        for c in service.contacts(ctx.account_id)
        if (name is None or name in c.name)
        and (channel is None or c.channels.get(channel))
        and (value is None or value in c.channels.values())
    ]
    groups = service.contact_groups(ctx.account_id)
    page = contacts[(number - 1) * size : number * size]
    return {"Contacts": {"Contact": [_contact(c, groups) for c in page]}, "Total": len(contacts), **_OK}


def put_contact_group(ctx: CallContext, p: Params) -> Result:
    ctx.services.alerting.service.put_contact_group(
        ctx.account_id,
        p.required("ContactGroupName", max_len=64),
        p.list("ContactNames"),
        p.str("Describe", "", max_len=256) or "",
        p.bool("EnableSubscribed", False),
    )
    return dict(_OK)


def describe_contact_group_list(ctx: CallContext, p: Params) -> Result:
    number, size = p.int("PageNumber", 1, lo=1, hi=1_000_000), p.int("PageSize", 100, lo=1, hi=100)
    groups = ctx.services.alerting.service.contact_groups(ctx.account_id)
    page = groups[(number - 1) * size : number * size]
    items = [
        {
            "Name": g.name,
            "Describe": g.description,
            "Contacts": {"Contact": list(g.contacts)},
            "EnableSubscribed": g.enable_subscribed,
            "EnabledWeeklyReport": False,
            "CreateTime": g.created_at,
            "UpdateTime": g.updated_at,
        }
        for g in page
    ]
    return {
        "ContactGroupList": {"ContactGroup": items},
        "ContactGroups": {"ContactGroup": [g.name for g in page]},
        "Total": len(groups),
        **_OK,
    }


def _rule_op(name: str, handler: Any, rw: str) -> Operation:
    return Operation("Cms", name, handler, rw, True, rule_resource)


def _contact_op(name: str, handler: Any, rw: str) -> Operation:
    return Operation("Cms", name, handler, rw, True, contact_resource)


OPERATIONS = [
    _rule_op("PutEventRule", put_event_rule, "Write"),
    _rule_op("DescribeEventRuleList", describe_event_rule_list, "Read"),
    _rule_op("DescribeEventRuleAttribute", describe_event_rule_attribute, "Read"),
    _rule_op("EnableEventRules", set_state(RuleState.ENABLED), "Write"),
    _rule_op("DisableEventRules", set_state(RuleState.DISABLED), "Write"),
    _rule_op("DeleteEventRules", delete_event_rules, "Write"),
    _rule_op("PutEventRuleTargets", put_event_rule_targets, "Write"),
    _rule_op("DescribeEventRuleTargetList", describe_event_rule_target_list, "Read"),
    _rule_op("DeleteEventRuleTargets", delete_event_rule_targets, "Write"),
    _contact_op("PutContact", put_contact, "Write"),
    _contact_op("DescribeContactList", describe_contact_list, "Read"),
    _contact_op("PutContactGroup", put_contact_group, "Write"),
    _contact_op("DescribeContactGroupList", describe_contact_group_list, "Read"),
]
