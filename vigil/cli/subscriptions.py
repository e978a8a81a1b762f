"""``vigil subscriptions``: Vigil's noise-controlled routes from system events to targets (Vigil 2026-11-01).

``target_options`` and ``targets_of`` are shared with ``vigil notifications test``, so a target is
spelled the same way wherever one is named.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from vigil.cli.config import Target
from vigil.cli.durations import DURATION, spoken
from vigil.cli.options import json_option
from vigil.cli.output import emit, table

F = TypeVar("F", bound=Callable[..., Any])
_LIST_COLUMNS = ("Name", "State", "Events", "Targets", "Noise control")


def _json_value(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[Any]:
    """A click callback decoding each repeated JSON option value."""
    decoded = []
    for value in values:
        try:
            decoded.append(json.loads(value))
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", ctx, param) from None
    return decoded


def target_options(f: F) -> F:
    """Adds --webhook, --method, --contact-group, --log, --queue, --topic and --target (repeatable)."""
    options = [
        click.option("--webhook", "webhooks", multiple=True, metavar="URL", help="A signed webhook."),
        click.option(
            "--method", type=click.Choice(["POST", "GET"]), default=None, help="For --webhook; default POST."
        ),
        click.option("--contact-group", "contact_groups", multiple=True, metavar="NAME"),
        click.option("--log", "logs", multiple=True, metavar="PROJECT/LOGSTORE", help="A JSON-lines log."),
        click.option("--queue", "queues", multiple=True, metavar="STREAM", help="A Redis stream."),
        click.option("--topic", "topics", multiple=True, metavar="SUBJECT", help="A NATS subject."),
        click.option(
            "--target",
            "target_objects",
            multiple=True,
            metavar="JSON",
            callback=_json_value,
            help='A whole target, e.g. {"Id": "ops", "Type": "webhook", "Url": "https://…"}.',
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def targets_of(
    *,
    webhooks: tuple[str, ...],
    method: str | None,
    contact_groups: tuple[str, ...],
    logs: tuple[str, ...],
    queues: tuple[str, ...],
    topics: tuple[str, ...],
    target_objects: list[Any],
) -> list[dict[str, Any]]:
    """The Targets JSON for the target options; ids are the kind and a number (webhook-1 …)."""
    found: list[dict[str, Any]] = []
    for kind, values, field in (
        ("webhook", webhooks, "Url"),
        ("contact_group", contact_groups, "ContactGroupName"),
        ("queue", queues, "Queue"),
        ("queue", topics, "Topic"),
    ):
        for i, value in enumerate(values, start=1):
            prefix = field.lower() if kind == "queue" else kind.replace("_", "-")
            found.append({"Id": f"{prefix}-{i}", "Type": kind, field: value})
            if kind == "webhook" and method:
                found[-1]["Method"] = method
    for i, value in enumerate(logs, start=1):
        project, _, logstore = value.partition("/")
        if not (project and logstore):
            raise click.BadParameter(f"{value!r} is not PROJECT/LOGSTORE", param_hint="--log")
        found.append({"Id": f"log-{i}", "Type": "log", "Project": project, "LogStore": logstore})
    return found + list(target_objects)


def _escalation(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[dict[str, Any]]:
    steps = []
    for value in values:
        group, sep, after = value.rpartition("=")
        if not sep or not group:
            raise click.BadParameter(f"{value!r} is not GROUP=DURATION", ctx, param)
        steps.append({"ContactGroup": group, "AfterSeconds": DURATION.convert(after, param, ctx)})
    return steps


def _pattern(
    product: str | None,
    names: tuple[str, ...],
    levels: tuple[str, ...],
    statuses: tuple[str, ...],
    event_types: tuple[str, ...],
    keywords: str | None,
    sql_filter: str | None,
) -> list[dict[str, Any]]:
    """One EventPattern from the pattern options, or none when no option was given."""
    pattern = {
        "Product": product,
        "NameList": list(names),
        "LevelList": list(levels),
        "StatusList": list(statuses),
        "EventTypeList": list(event_types),
        "CustomFilters": keywords,
        "SQLFilter": sql_filter,
    }
    given = {k: v for k, v in pattern.items() if v}
    return [given] if given else []


@click.group()
def subscriptions() -> None:
    """Subscriptions: which system events reach which targets, with merging, thresholds and escalation."""


@subscriptions.command()
@click.argument("name")
@click.option("--description", default="")
@click.option("--disabled", is_flag=True, help="Save it without routing any event yet.")
@click.option("--product", default=None, help="Only this product's events (KMS, Kafka …).")
@click.option("--event-name", "names", multiple=True, help="An event name; repeatable.")
@click.option("--level", "levels", multiple=True, help="CRITICAL, WARN or INFO; repeatable.")
@click.option("--status", "statuses", multiple=True, help="e.g. Failed; repeatable.")
@click.option("--event-type", "event_types", multiple=True, help="e.g. Exception; repeatable.")
@click.option("--keywords", default=None, help="Comma-separated; the event must contain one of them.")
@click.option("--sql-filter", default=None, help="A condition on the content (docs/alert-sqlfilter.md).")
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    metavar="JSON",
    callback=_json_value,
    help="A whole EventPattern object; repeatable. An event matching any pattern is taken.",
)
@target_options
@click.option(
    "--merge-by", "merge_fields", multiple=True, metavar="FIELD", help="Merge events agreeing on it."
)
@click.option("--merge-window", type=DURATION, default=None, help="How long a merge group stays open.")
@click.option(
    "--min-count", type=click.IntRange(min=1), default=None, help="Notify from this many events on."
)
@click.option("--noise-window", type=DURATION, default=None, help="The window --min-count counts in.")
@click.option("--dedup", type=DURATION, default=None, help="Drop an identical event seen within this long.")
@click.option(
    "--escalate",
    multiple=True,
    metavar="GROUP=DURATION",
    callback=_escalation,
    help="Unacknowledged after DURATION: notify contact group GROUP; repeatable, in order.",
)
@json_option
@click.pass_obj
def put(
    target: Target,
    /,
    name: str,
    description: str,
    disabled: bool,
    patterns: list[Any],
    merge_fields: tuple[str, ...],
    merge_window: int | None,
    min_count: int | None,
    noise_window: int | None,
    dedup: int | None,
    escalate: list[dict[str, Any]],
    as_json: bool,
    **options: Any,
) -> None:
    """Create or replace subscription NAME (PutSubscription)."""
    pattern_keys = ("product", "names", "levels", "statuses", "event_types", "keywords", "sql_filter")
    simple = _pattern(*(options.pop(k) for k in pattern_keys))
    if simple and patterns:
        raise click.UsageError("give either --pattern or the pattern options (--event-name, --level …)")
    if bool(merge_fields) != (merge_window is not None):
        raise click.UsageError("--merge-by and --merge-window go together")
    if (min_count is None) != (noise_window is None):
        raise click.UsageError("--min-count and --noise-window go together")
    params = {
        "Name": name,
        "Description": description,
        "State": "DISABLED" if disabled else "ENABLED",
        "EventPattern": patterns or simple,
        "Targets": targets_of(**options),
        "Merge": {"Fields": list(merge_fields), "WindowSeconds": merge_window} if merge_fields else None,
        "Noise": None if min_count is None else {"MinCount": min_count, "WindowSeconds": noise_window},
        "DedupSeconds": dedup,
        "Escalation": escalate,
    }
    body = target.client().vigil("PutSubscription", params)
    emit(body["Subscription"], as_json=as_json)


@subscriptions.command("list")
@json_option
@click.pass_obj
def list_subscriptions(target: Target, as_json: bool) -> None:
    """Every subscription (ListSubscriptions)."""
    found = target.client().vigil("ListSubscriptions")["Subscriptions"]
    if as_json:
        emit(found, as_json=True)
        return
    table([_row(s) for s in found], _LIST_COLUMNS, as_json=False)


@subscriptions.command()
@click.argument("name")
@json_option
@click.pass_obj
def show(target: Target, name: str, as_json: bool) -> None:
    """One subscription, as PutSubscription takes it (DescribeSubscription)."""
    emit(target.client().vigil("DescribeSubscription", {"Name": name})["Subscription"], as_json=as_json)


@subscriptions.command()
@click.argument("name")
@click.pass_obj
def delete(target: Target, name: str) -> None:
    """Delete subscription NAME; notifications it already made are kept (DeleteSubscription)."""
    target.client().vigil("DeleteSubscription", {"Name": name})
    click.echo(f"subscription {name} deleted")


def _row(s: dict[str, Any]) -> dict[str, Any]:
    events = [" ".join(p["NameList"]) or p["Product"] or "any" for p in s["EventPattern"]] or ["every event"]
    controls = []
    if s["Merge"]:
        controls.append(
            f"merge by {','.join(s['Merge']['Fields'])} for {spoken(s['Merge']['WindowSeconds'])}"
        )
    if s["Noise"]:
        controls.append(f"≥{s['Noise']['MinCount']} in {spoken(s['Noise']['WindowSeconds'])}")
    if s["DedupSeconds"]:
        controls.append(f"dedup {spoken(s['DedupSeconds'])}")
    controls += [f"→ {e['ContactGroup']} after {spoken(e['AfterSeconds'])}" for e in s["Escalation"]]
    return {
        **s,
        "Events": "; ".join(events),
        "Targets": ", ".join(f"{t['Id']} ({t['Type']})" for t in s["Targets"]),
        "Noise control": "; ".join(controls),
    }


COMMANDS: list[click.Command] = [subscriptions]
