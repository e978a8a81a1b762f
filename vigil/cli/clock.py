"""``vigil clock``: read and move a test server's business clock (Vigil 2026-11-01, ``serve --test-clock``)."""

from __future__ import annotations

import click

from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import emit


@click.group()
def clock() -> None:
    """The business clock of a server started with --test-clock."""


@clock.command()
@json_option
@click.pass_obj
def show(target: Target, as_json: bool) -> None:
    """Show the server's current business time and how far it has been moved."""
    body = target.client().vigil("GetClock")
    body.pop("RequestId", None)
    emit(body, as_json=as_json)


@clock.command()
@click.argument("seconds", type=click.IntRange(min=0), required=False)
@click.option("--days", type=click.IntRange(min=0), default=None, help="Advance by whole days instead.")
@json_option
@click.pass_obj
def advance(target: Target, seconds: int | None, days: int | None, as_json: bool) -> None:
    """Move the clock forward by SECONDS (or --days) and run the jobs that fall due (root only)."""
    if (seconds is None) == (days is None):
        raise click.UsageError("give either SECONDS or --days")
    body = target.client().vigil("AdvanceClock", {"Seconds": seconds if days is None else days * 86_400})
    body.pop("RequestId", None)
    emit(body, as_json=as_json)


COMMANDS: list[click.Command] = [clock]
