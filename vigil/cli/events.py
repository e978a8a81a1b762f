"""``vigil events``: search stored system events and list the event catalog (CloudMonitor 2019-01-01).

The group is shared: ``event_filters`` and ``filter_params`` give every subcommand (``search`` and
the live ``tail``) the same filter options with the same names as the CMS parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import emit, table

CMS_VERSION = "2019-01-01"
F = TypeVar("F", bound=Callable[..., Any])

# option parameter -> CMS filter parameter
FILTERS = {
    "product": "Product",
    "event_type": "EventType",
    "name": "Name",
    "level": "Level",
    "status": "Status",
    "group_id": "GroupId",
    "keywords": "SearchKeywords",
}
# The name comes first, as the first column of a table is never cut; ids, statuses and content
# are in --json.
_SEARCH_COLUMNS = ("Name", "Time", "Level", "Product", "Resource")
_CATALOG_COLUMNS = ("Name", "Product", "Level", "Type", "Description")


def event_filters(f: F) -> F:
    """Adds --product --event-type --name --level --status --group-id --keywords (see FILTERS)."""
    options = [
        click.option("--product", default=None, help="KMS, Kafka … (any case)."),
        click.option("--event-type", default=None, help="StatusNotification, Exception or Notification."),
        click.option("--name", default=None, help="Event name, e.g. Key:DeleteKey:ScheduleDeletion."),
        click.option("--level", default=None, help="CRITICAL, WARN or INFO."),
        click.option("--status", default=None, help="e.g. normal or Failed (any case)."),
        click.option("--group-id", default=None, help="Application group; 0 when none."),
        click.option("--keywords", default=None, help="Words joined by 'and' (all) or 'or' (any)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def filter_params(**values: Any) -> dict[str, Any]:
    """The CMS parameters for the filter options that were given (unknown keys are ignored)."""
    return {FILTERS[k]: v for k, v in values.items() if k in FILTERS and v is not None}


@click.group()
def events() -> None:
    """System events: search what happened, list what can happen."""


@events.command()
@event_filters
@click.option("--start", default=None, help="From (inclusive): Unix s or ms, or 'YYYY-MM-DD hh:mm:ss' UTC.")
@click.option("--end", default=None, help="Until (exclusive), same formats. Default: the last 90 days.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 100), default=20, show_default=True)
@json_option
@click.pass_obj
def search(
    target: Target,
    /,
    start: str | None,
    end: str | None,
    page: int,
    page_size: int,
    as_json: bool,
    **filters: Any,
) -> None:
    """Stored system events, newest first (DescribeSystemEventAttribute)."""
    params = {**filter_params(**filters), "StartTime": start, "EndTime": end}
    params.update(PageNumber=page, PageSize=page_size)
    body = target.client().call("DescribeSystemEventAttribute", params, version=CMS_VERSION)
    found = [_parsed(item) for item in body["SystemEvents"]["SystemEvent"]]
    if as_json:
        emit(found, as_json=True)
        return
    table([_row(item) for item in found], _SEARCH_COLUMNS, as_json=False)
    if len(found) == page_size:
        click.echo(f"page {page} is full; --page {page + 1} shows older events", err=True)


@events.command()
@click.option("--product", default=None, help="Only this product's events (any case).")
@json_option
@click.pass_obj
def catalog(target: Target, product: str | None, as_json: bool) -> None:
    """Every system event Vigil knows (DescribeSystemEventMetaList)."""
    body = target.client().call("DescribeSystemEventMetaList", version=CMS_VERSION)
    entries = [
        r for r in body["Data"]["Resource"] if product is None or r["Product"].lower() == product.lower()
    ]
    if as_json:
        emit(entries, as_json=True)
        return
    rows = [{**r, "Type": r["EventType"], "Description": r["NameDesc.En"]} for r in entries]
    table(rows, _CATALOG_COLUMNS, as_json=False)


@events.command()
@event_filters
@click.option("--after-event-id", default=None, help="Resume after this event (its id).")
@click.option("--since", default=None, help="From this time: Unix s or ms, or 'YYYY-MM-DD hh:mm:ss' UTC.")
@click.option("--count", type=click.IntRange(min=1), default=None, help="Stop after this many events.")
@json_option
@click.pass_obj
def tail(
    target: Target,
    /,
    after_event_id: str | None,
    since: str | None,
    count: int | None,
    as_json: bool,
    **filters: Any,
) -> None:
    """Follow events as they are committed (the live stream), until interrupted or --count."""
    stream = target.client().stream(filter_params(**filters), after_event_id=after_event_id, since=since)
    try:
        with stream as committed:
            for seen, payload in enumerate(committed, start=1):
                click.echo(json.dumps(payload, ensure_ascii=False) if as_json else _tail_line(payload))
                if seen == count:
                    return
    except KeyboardInterrupt:
        return


def _tail_line(payload: dict[str, Any]) -> str:
    time = datetime.fromtimestamp(payload["time"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    name = f"{payload['name']} (drill)" if payload.get("drill") is True else payload["name"]
    fields = (time, f"{payload['level']:<8}", payload["product"], name, payload["resourceId"], payload["id"])
    return "  ".join(fields)


def _parsed(item: dict[str, Any]) -> dict[str, Any]:
    """A SystemEvent item with its Content decoded (it travels as a JSON string)."""
    try:
        return {**item, "Content": json.loads(item["Content"])}
    except (ValueError, TypeError):
        return item


def _row(item: dict[str, Any]) -> dict[str, Any]:
    drill = isinstance(item["Content"], dict) and item["Content"].get("drill") is True
    return {
        **item,
        "Time": datetime.fromtimestamp(item["Time"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "Name": f"{item['Name']} (drill)" if drill else item["Name"],
        "Resource": item["InstanceName"] or item["ResourceId"],
    }


COMMANDS: list[click.Command] = [events]
