"""``vigil silences``: mute the notifications of matching events for a while, or in a weekly
maintenance window (UTC), without touching the subscriptions (Vigil 2026-11-01)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import click

from vigil.cli.config import Target
from vigil.cli.durations import DURATION, spoken
from vigil.cli.options import json_option
from vigil.cli.output import emit, table

_MATCHER = re.compile(r"^\s*([^=!~\s]+)\s*(=~|!~|!=|=)(.*)$", re.DOTALL)
# the author and start are in --json, so a row fits a narrow terminal better
_COLUMNS = ("SilenceId", "State", "Matches", "Until", "Window", "Comment")


def _matchers(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[dict[str, str]]:
    """``field=value``, ``field!=value``, ``field=~regex`` or ``field!~regex`` as matcher objects."""
    found = []
    for value in values:
        parsed = _MATCHER.match(value)
        if parsed is None:
            raise click.BadParameter(
                f"{value!r} is not FIELD=VALUE, FIELD!=VALUE, FIELD=~RE or FIELD!~RE", ctx, param
            )
        found.append({"field": parsed.group(1), "op": parsed.group(2), "value": parsed.group(3)})
    return found


def _recurrence(every: str | None, start: str | None, length: int | None) -> dict[str, Any] | None:
    """The weekly window of --every, --from and --for. Raises click.UsageError unless all or none are given."""
    given = {"--every": every, "--from": start, "--for": length}
    if all(v is None for v in given.values()):
        return None
    if any(v is None for v in given.values()):
        raise click.UsageError("--every, --from and --for go together")
    assert every is not None and length is not None
    if length % 60:
        raise click.UsageError("--for must be whole minutes")
    days = [d.strip() for d in every.split(",") if d.strip()]
    return {"days": days, "start": start, "duration_minutes": length // 60}


@click.group()
def silences() -> None:
    """Silences: mute notifications whose event matches, for a time or in a weekly window."""


@silences.command()
@click.option(
    "--match",
    "matchers",
    multiple=True,
    required=True,
    callback=_matchers,
    metavar="FIELD=VALUE",
    help="name=…, level!=INFO, secretName=~db-.* (regex), content.x!~… ; repeatable, all must match.",
)
@click.option("--starts-at", default=None, help="Unix ms or ISO-8601 (default: now).")
@click.option("--ends-at", default=None, help="Unix ms or ISO-8601.")
@click.option("--ends-in", type=DURATION, default=None, help="e.g. 2h, counted from the start.")
@click.option(
    "--every", default=None, metavar="DAYS", help="Only in a weekly window on these days: mon,tue …"
)
@click.option("--from", "window_start", default=None, metavar="HH:MM", help="The window's start, UTC.")
@click.option("--for", "window_length", type=DURATION, default=None, help="The window's length, e.g. 90m.")
@click.option("--author", default=None, help="Default: your user name.")
@click.option("--comment", required=True, help="Why; shown to whoever wonders where the alerts went.")
@json_option
@click.pass_obj
def create(
    target: Target,
    matchers: list[dict[str, str]],
    starts_at: str | None,
    ends_at: str | None,
    ends_in: int | None,
    every: str | None,
    window_start: str | None,
    window_length: int | None,
    author: str | None,
    comment: str,
    as_json: bool,
) -> None:
    """Create a silence (CreateSilence); the server's clock decides when --ends-in runs out."""
    if (ends_at is None) == (ends_in is None):
        raise click.UsageError("give exactly one of --ends-at or --ends-in")
    params = {
        "Matchers": matchers,
        "StartsAt": starts_at,
        "EndsAt": ends_at,
        "DurationSeconds": ends_in,
        "Recurrence": _recurrence(every, window_start, window_length),
        "Author": author,
        "Comment": comment,
    }
    silence = target.client().vigil("CreateSilence", params)["Silence"]
    if as_json:
        emit(silence, as_json=True)
        return
    click.echo(f"silence {silence['SilenceId']} ({silence['State']}) until {_time(silence['EndsAt'])}")


@silences.command("list")
@click.option("--all", "include_expired", is_flag=True, help="Include expired silences.")
@json_option
@click.pass_obj
def list_silences(target: Target, include_expired: bool, as_json: bool) -> None:
    """Active, pending and waiting silences (ListSilences)."""
    found = target.client().vigil("ListSilences", {"IncludeExpired": include_expired})["Silences"]
    if as_json:
        emit(found, as_json=True)
        return
    table([_row(s) for s in found], _COLUMNS, as_json=False)


@silences.command()
@click.argument("silence_id")
@click.pass_obj
def expire(target: Target, silence_id: str) -> None:
    """End a silence now (ExpireSilence)."""
    target.client().vigil("ExpireSilence", {"SilenceId": silence_id})
    click.echo(f"silence {silence_id} expired")


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _row(s: dict[str, Any]) -> dict[str, Any]:
    window = s["Recurrence"]
    return {
        **s,
        "Matches": " ".join(f"{m['field']}{m['op']}{m['value']}" for m in s["Matchers"]),
        "Until": _time(s["EndsAt"]),
        "Window": ""
        if window is None
        else f"{','.join(window['days'])} {window['start']} for {spoken(window['duration_minutes'] * 60)}",
    }


COMMANDS: list[click.Command] = [silences]
