"""``vigil audit``: search the audit trail with the advanced query, export it as JSON lines, check a
value against its hashes, and read the journal's health (Vigil 2026-11-01, docs/audit.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigil.cli.config import Target
from vigil.cli.options import F, json_option
from vigil.cli.output import emit, table
from vigil.client import VigilClient

PAGE = 100
"""Events fetched per call (the most SearchAuditEvents returns)."""
# the event name comes first, as the first column of a table is never cut; everything else is in --json
_COLUMNS = ("Event", "Time (UTC)", "Service", "User", "Resource", "Error")
_TIME_HELP = "ISO 8601 UTC (2026-01-10T08:00:00Z, 2026-01-10) or milliseconds since 1970"


def _window_options(f: F) -> F:
    """Adds --to and --instance (--from differs: optional for search, required for export)."""
    f = click.option("--to", "end", default=None, help=f"Until (inclusive): {_TIME_HELP}. Default: now.")(f)
    return click.option(
        "--instance",
        default=None,
        help="Search this KMS instance's log store (its data-plane calls) instead of the trail.",
    )(f)


@click.group()
def audit() -> None:
    """The audit trail: every API call, searchable for 90 days (180 in an instance's log store)."""


@audit.command()
@click.argument("query", required=False, default="")
@click.option("--from", "start", default=None, help=f"From (inclusive): {_TIME_HELP}. Default: 24 hours ago.")
@_window_options
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per line.")
@click.pass_obj
def search(
    target: Target,
    query: str,
    start: str | None,
    end: str | None,
    instance: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Records matching QUERY, newest first (SearchAuditEvents); see docs/audit-query.md.

    A query ending in '| stats count() by FIELD' prints its counts instead.
    """
    params = {"Query": query, "StartTime": start, "EndTime": end, "InstanceId": instance}
    client = target.client()
    first = client.vigil("SearchAuditEvents", {**params, "MaxResults": min(limit, PAGE)})
    if "Rows" in first:
        _print_stats(first, as_json)
        return
    params.update(StartTime=first["StartTime"], EndTime=first["EndTime"])
    found, more = _collect(client, params, first, limit)
    if as_json:
        for event in found:
            click.echo(json.dumps(event, ensure_ascii=False, sort_keys=True))
    else:
        table([_row(e) for e in found], _COLUMNS, as_json=False)
    if more:
        click.echo(f"more records match; raise --limit (now {limit}) or narrow the window", err=True)


@audit.command()
@click.option("--from", "start", required=True, help=f"From (inclusive): {_TIME_HELP}.")
@_window_options
@click.option("--query", default="", help="Only the records this advanced query finds (default: all).")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8", lazy=True),
    default="-",
    help="File to write (default: standard output).",
)
@click.pass_obj
def export(
    target: Target, start: str, end: str | None, instance: str | None, query: str, output: IO[str]
) -> None:
    """Write every record of the window as JSON lines, oldest first, a page at a time."""
    client = target.client()
    params = {"Query": query, "StartTime": start, "EndTime": end, "InstanceId": instance}
    first = client.vigil("SearchAuditEvents", {**params, "MaxResults": PAGE, "Direction": "FORWARD"})
    if "Rows" in first:
        raise click.UsageError("export writes records; give a --query without '| stats'")
    # later pages read exactly the window the first one resolved ("now" moves on meanwhile)
    params.update(StartTime=first["StartTime"], EndTime=first["EndTime"])
    total = _count(client, params)
    written = 0
    with _progress() as progress:
        task = progress.add_task("exporting", total=total)
        for page in _pages(client, {**params, "Direction": "FORWARD"}, first):
            for event in page:
                output.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
            written += len(page)
            progress.update(task, completed=written, total=max(total, written))
        progress.update(task, total=written)  # the count was taken a moment apart from the pages
    output.flush()
    where = str(getattr(output, "name", "-"))
    where = "standard output" if where in ("-", "<stdout>") else where
    click.echo(
        f"exported {written} records ({first['StartTime']} to {first['EndTime']}) to {where}", err=True
    )


@audit.command()
@json_option
@click.pass_obj
def status(target: Target, as_json: bool) -> None:
    """This server process's audit journal: records written and refused, and whether writes fail now."""
    body = target.client().vigil("GetAuditStatus")
    body.pop("RequestId", None)
    emit(body, as_json=as_json)


@audit.command("hash")
@click.argument("value", required=False, default="-")
@click.option("--check", "stored", default=None, help="A hmac-sha256:… value from a record to compare with.")
@json_option
@click.pass_obj
def hash_value(target: Target, value: str, stored: str | None, as_json: bool) -> None:
    """The hmac-sha256 form records keep of VALUE (read from standard input when '-' or omitted,
    which keeps it out of the shell history). With --check, exits 1 when it does not match."""
    if value == "-":
        value = sys.stdin.read().removesuffix("\n")
    if not value:
        raise click.UsageError("give a VALUE (or pipe it in) to hash")
    body = target.client().vigil("AuditHash", {"Value": value, "Hash": stored})
    body.pop("RequestId", None)
    if as_json:
        emit(body, as_json=True)
    elif stored is None:
        click.echo(body["Hash"])
    else:
        click.echo("matches" if body["Matches"] else "does not match")
    if stored is not None and not body["Matches"]:
        sys.exit(1)


# -- helpers -----------------------------------------------------------------------------------


def _pages(client: VigilClient, params: dict[str, Any], first: dict[str, Any]) -> Iterator[list[Any]]:
    """The events of ``first`` and of each page after it, a page at a time."""
    body = first
    while True:
        yield body["Events"]
        token = body.get("NextToken")
        if not token:
            return
        body = client.vigil("SearchAuditEvents", {**params, "MaxResults": PAGE, "NextToken": token})


def _collect(
    client: VigilClient, params: dict[str, Any], first: dict[str, Any], limit: int
) -> tuple[list[Any], bool]:
    """Up to ``limit`` events from ``first`` on, and whether more match."""
    body, found = first, list(first["Events"])
    while body.get("NextToken") and len(found) < limit:
        wanted = min(PAGE, limit - len(found))
        body = client.vigil(
            "SearchAuditEvents", {**params, "MaxResults": wanted, "NextToken": body["NextToken"]}
        )
        found.extend(body["Events"])
    return found[:limit], len(found) > limit or bool(body.get("NextToken"))


def _count(client: VigilClient, params: dict[str, Any]) -> int:
    """How many records the export will write, for its progress bar."""
    body = client.vigil("SearchAuditEvents", {**params, "Query": f"{params['Query']} | stats count()"})
    return int(body["Rows"][0]["Count"]) if body["Rows"] else 0


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def _print_stats(body: dict[str, Any], as_json: bool) -> None:
    names = [*body["GroupBy"], "Count"]
    rows = [dict(zip(names, [*row["Values"], row["Count"]], strict=True)) for row in body["Rows"]]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        table(rows, names, as_json=False)


def _row(event: dict[str, Any]) -> dict[str, Any]:
    identity = event.get("userIdentity") or {}
    return {
        "Time (UTC)": str(event.get("eventTime", "")).replace("T", " ").removesuffix("Z"),
        "Event": event.get("eventName", ""),
        "Service": event.get("serviceName", ""),
        "User": identity.get("userName") or identity.get("accessKeyId") or "",
        "Resource": event.get("resourceName", ""),
        "Error": event.get("errorCode", ""),
    }


COMMANDS: list[click.Command] = [audit]
