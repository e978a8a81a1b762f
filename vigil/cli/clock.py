"""``vigil clock``: read and move a test server's business clock (Vigil 2026-11-01, ``serve --test-clock``)."""

from __future__ import annotations

from typing import Any

import click

from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import emit
from vigil.client import VigilApiError


def _call(target: Target, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Raises click.ClickException naming --test-clock when the server has no test clock."""
    try:
        body = target.client().vigil(action, params)
    except VigilApiError as exc:
        if exc.code == "InvalidAction.NotFound":
            raise click.ClickException(
                "this server has no test clock; start it with 'vigil serve --test-clock'"
            ) from None
        raise
    body.pop("RequestId", None)
    return body


@click.group()
def clock() -> None:
    """The business clock of a server started with --test-clock."""


@clock.command()
@json_option
@click.pass_obj
def show(target: Target, as_json: bool) -> None:
    """Show the server's current business time and how far it has been moved."""
    emit(_call(target, "GetClock"), as_json=as_json)


@clock.command()
@click.argument("seconds", type=click.IntRange(min=0), required=False)
@click.option("--days", type=click.IntRange(min=0), default=None, help="Advance by whole days instead.")
@json_option
@click.pass_obj
def advance(target: Target, seconds: int | None, days: int | None, as_json: bool) -> None:
    """Move the clock forward by SECONDS (or --days) and run the jobs that fall due (root only)."""
    if (seconds is None) == (days is None):
        raise click.UsageError("give either SECONDS or --days")
    body = _call(target, "AdvanceClock", {"Seconds": seconds if days is None else days * 86_400})
    emit(body, as_json=as_json)


COMMANDS: list[click.Command] = [clock]
