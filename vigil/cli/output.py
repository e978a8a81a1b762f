"""Rendering for the CLI: tables for lists, key/value panels for single objects, JSON on request."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

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
    table.add_column(style="bold cyan")
    table.add_column()
    for key, value in data.items():
        table.add_row(str(key), value if isinstance(value, str) else json.dumps(value))
    console.print(table)


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool, title: str = ""
) -> None:
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, sort_keys=True))
        return
    out = Table(title=title or None)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(out)
