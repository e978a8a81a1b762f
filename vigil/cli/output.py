"""Rendering for the CLI: tables for lists, key/value panels for single objects, JSON on request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console()


def emit(data: Any, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    elif isinstance(data, Mapping):
        panel(data)
    else:
        click.echo(str(data))


def panel(data: Mapping[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in data.items():
        # Text, not str: values are user data, and rich would read "[...]" in them as markup
        table.add_row(Text(str(key)), Text(value if isinstance(value, str) else json.dumps(value)))
    console.print(table)


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool, title: str = ""
) -> None:
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, sort_keys=True))
        return
    out = Table(title=title or None)
    for i, column in enumerate(columns):
        # the first column identifies the row, so it is never cut; the others fold rather than lose text
        out.add_column(column, no_wrap=i == 0, overflow="fold")
    for row in rows:
        out.add_row(*(Text(str(row.get(c, ""))) for c in columns))
    console.print(out)
