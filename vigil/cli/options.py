"""Click options that several CLI nouns share: ``--json``, ``NAME=VALUE`` pairs, either-or options."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from vigil.client import VigilClient

F = TypeVar("F", bound=Callable[..., Any])


def json_option(f: F) -> F:
    """Adds ``--json`` (parameter ``as_json``) to a command that prints data."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table or panel.")(f)


def key_values(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """A click callback turning repeated ``NAME=VALUE`` words into pairs; the value may be empty."""
    pairs = []
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r} is not NAME=VALUE", ctx, param)
        pairs.append((name, rest))
    return tuple(pairs)


def exactly_one(given: dict[str, object]) -> None:
    """Raises click.UsageError unless exactly one of the options (flag name -> value) was given."""
    if sum(value is not None for value in given.values()) != 1:
        raise click.UsageError(f"give exactly one of {' or '.join(given)}")


def all_pages(client: VigilClient, action: str, params: dict[str, Any], path: Sequence[str]) -> list[Any]:
    """Every item of a paged KMS list, fetched 100 at a time."""
    items: list[Any] = []
    number = 1
    while True:
        body = client.call(action, {**params, "PageNumber": number, "PageSize": 100})
        chunk = body[path[0]][path[1]]
        items.extend(chunk)
        if not chunk or len(items) >= int(body.get("TotalCount", 0)):
            return items
        number += 1
