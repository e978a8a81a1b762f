"""``vigil notifications``: what was sent where and how it went (delivery records), the alerts
waiting for someone (acknowledge, resolve), and dry runs: where an event would go, and a test
notification to one target (Vigil 2026-11-01)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from vigil.cli.config import Target
from vigil.cli.options import exactly_one, json_option
from vigil.cli.output import console, emit, table
from vigil.cli.subscriptions import target_options, targets_of

# column -> record field; latency, channel and content are in --json. The event name comes first
# and, like the status, is never cut; the other columns fold on a narrow terminal.
_RECORD_COLUMNS = {
    "Event": "EventName",
    "Status": "Status",
    "Time": "CreatedAt",
    "Source": "SourceName",
    "Target": "TargetId",
    "Tries": "Attempts",
    "Error": "LastError",
}
_NO_WRAP = ("Event", "Status")
_STATUS_STYLES = {"SUCCESS": "green", "PENDING": "yellow", "FAIL": "bold red", "INVALID": "magenta"}
_ALERT_COLUMNS = ("NotificationId", "State", "Source", "EventName", "EventCount", "Created", "AckedBy")
_ROUTE_COLUMNS = ("Name", "Kind", "Matched", "Reason", "Targets")


def _time(ms: int | None) -> str:
    return "" if not ms else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _cell(column: str, record: dict[str, Any]) -> Text:
    value = record.get(_RECORD_COLUMNS[column])
    if column == "Status":
        return Text(str(value), style=_STATUS_STYLES.get(str(value), ""))
    if column == "Time":
        return Text(_time(value))
    return Text("" if value is None else str(value))


def records_table(records: Sequence[dict[str, Any]], *, title: str = "") -> None:
    """Delivery records as a table, the status coloured."""
    out = Table(title=title or None)
    for column in _RECORD_COLUMNS:
        out.add_column(column, no_wrap=column in _NO_WRAP, overflow="fold")
    for record in records:
        out.add_row(*(_cell(column, record) for column in _RECORD_COLUMNS))
    console.print(out)


@click.group(invoke_without_command=True)
@click.option("--status", default=None, help="PENDING, SUCCESS, FAIL or INVALID.")
@click.option("--source", default=None, help="The rule or subscription that made the notification.")
@click.option("--target", "target_name", default=None, help="A target id or name.")
@click.option("--event-name", default=None, help="e.g. Key:DeleteKey:ScheduleDeletion.")
@click.option("--resource", default=None, help="A resource id (ARN) or secret name.")
@click.option("--notification-id", default=None)
@click.option("--start", default=None, help="From (inclusive): Unix s or ms, or 'YYYY-MM-DD hh:mm:ss' UTC.")
@click.option("--end", default=None, help="Until (exclusive), same formats.")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--next-token", default=None, help="Continue after an earlier page.")
@json_option
@click.pass_context
def notifications(
    ctx: click.Context, /, as_json: bool, limit: int, next_token: str | None, **filters: Any
) -> None:
    """Delivery records, newest first (ListNotificationRecords); see the subcommands for the rest."""
    if ctx.invoked_subcommand is not None:
        return
    names = {
        "status": "Status",
        "source": "RuleName",
        "target_name": "Target",
        "event_name": "EventName",
        "resource": "Resource",
        "notification_id": "NotificationId",
        "start": "StartTime",
        "end": "EndTime",
    }
    params = {names[k]: v for k, v in filters.items() if v is not None}
    params.update(MaxResults=limit, NextToken=next_token)
    target: Target = ctx.obj
    body = target.client().vigil("ListNotificationRecords", params)
    if as_json:
        emit(body["Records"], as_json=True)
    else:
        records_table(body["Records"])
    if body["NextToken"]:
        click.echo(f"more records: --next-token {body['NextToken']}", err=True)


def _set_state(target: Target, action: str, notification_id: str, comment: str) -> dict[str, Any]:
    body = target.client().vigil(action, {"NotificationId": notification_id, "Comment": comment})
    return dict(body["Notification"])


@notifications.command()
@click.argument("notification_id")
@click.option("--comment", default="", help="e.g. what you are doing about it.")
@click.pass_obj
def ack(target: Target, notification_id: str, comment: str) -> None:
    """Acknowledge a notification: its escalation stops (AcknowledgeNotification)."""
    found = _set_state(target, "AcknowledgeNotification", notification_id, comment)
    click.echo(f"notification {notification_id} {found['State'].lower()} by {found['AckedBy']}")


@notifications.command()
@click.argument("notification_id")
@click.option("--comment", default="")
@click.pass_obj
def resolve(target: Target, notification_id: str, comment: str) -> None:
    """Mark a notification resolved (ResolveNotification)."""
    found = _set_state(target, "ResolveNotification", notification_id, comment)
    click.echo(f"notification {notification_id} {found['State'].lower()} by {found['AckedBy']}")


@notifications.command()
@click.option("--state", default=None, help="FIRING, ACKNOWLEDGED or RESOLVED.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@json_option
@click.pass_obj
def alerts(target: Target, state: str | None, limit: int, as_json: bool) -> None:
    """Notifications, newest first, and who acknowledged them (ListNotifications)."""
    found = target.client().vigil("ListNotifications", {"State": state, "Limit": limit})["Notifications"]
    rows = [{**n, "Created": _time(n["CreatedAt"])} for n in found]
    table(found if as_json else rows, _ALERT_COLUMNS, as_json=as_json)


@notifications.command()
@target_options
@click.option(
    "--event", default=None, metavar="JSON", help="The event to send (default: a sample KMS event)."
)
@json_option
@click.pass_obj
def test(target: Target, /, event: str | None, as_json: bool, **options: Any) -> None:
    """Send a drill-marked event to one target now and show the outcome (SendTestNotification).

    Exits with 1 unless every delivery succeeded."""
    targets = targets_of(**options)
    if len(targets) != 1:
        raise click.UsageError(
            "name exactly one target: --webhook, --contact-group, --log, --queue, --topic or --target"
        )
    body = target.client().vigil("SendTestNotification", {"Target": targets[0], "Event": _event(event)})
    if as_json:
        emit(body["Records"], as_json=True)
    else:
        records_table(body["Records"], title=f"test event {body['EventId']}")
    if not body["Records"] or any(r["Status"] != "SUCCESS" for r in body["Records"]):
        raise click.exceptions.Exit(1)


@notifications.command()
@click.option("--event-id", default=None, help="A stored event's id.")
@click.option("--event", default=None, metavar="JSON", help='e.g. {"name": "Secret:RotateSecret:Failure"}.')
@json_option
@click.pass_obj
def explain(target: Target, event_id: str | None, event: str | None, as_json: bool) -> None:
    """Which rules and subscriptions an event would reach, and why not (TestEventRouting)."""
    exactly_one({"--event-id": event_id, "--event": event})
    body = target.client().vigil("TestEventRouting", {"EventId": event_id, "Event": _event(event)})
    if as_json:
        emit(body["Routes"], as_json=True)
        return
    rows = [
        {
            **r,
            "Matched": "yes" if r["Matched"] else "no",
            "Targets": ", ".join(_address(a) for a in r["Targets"]),
        }
        for r in body["Routes"]
    ]
    table(rows, _ROUTE_COLUMNS, as_json=False, title=f"{body['EventName']} ({body['EventId']})")


def _address(a: dict[str, Any]) -> str:
    where = f"{a['TargetId']}:{a['Channel']}"
    return where if a["Valid"] else f"{where} (invalid: {a['Problem']})"


def _event(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--event") from None


COMMANDS: list[click.Command] = [notifications]
