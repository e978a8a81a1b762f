"""Click options that several CLI nouns share: ``--json``, ``NAME=VALUE`` pairs, either-or options, paging."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Paging:
    """Which page of a KMS list to show. Raises click.UsageError when --all comes with --page or --page-size."""

    page: int | None
    page_size: int | None
    every: bool

    def __post_init__(self) -> None:
        if self.every and (self.page or self.page_size):
            raise click.UsageError("--all cannot be combined with --page or --page-size")

    def fetch(
        self, client: VigilClient, action: str, params: dict[str, Any], path: Sequence[str]
    ) -> tuple[list[Any], int]:
        """The items of the page (or of every page) and how many there are in all."""
        if self.every:
            items = all_pages(client, action, params, path)
            return items, len(items)
        body = client.call(action, {**params, "PageNumber": self.page or 1, "PageSize": self.page_size or 10})
        return body[path[0]][path[1]], int(body["TotalCount"])

    def say_if_partial(self, shown: int, total: int, items: str) -> None:
        """Tells stderr how to see the rest when only SHOWN of TOTAL ITEMS were listed."""
        if shown < total:
            click.echo(
                f"showing {shown} of {total} {items} (page {self.page or 1}); use --page N or --all", err=True
            )


def paged(items: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Adds ``--page``, ``--page-size`` and ``--all`` to a list of ITEMS, passed on as ``paging``."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @click.option("--page", type=click.IntRange(min=1), default=None, help="Page number (default 1).")
        @click.option(
            "--page-size", type=click.IntRange(1, 100), default=None, help=f"{items} per page (default 10)."
        )
        @click.option("--all", "every", is_flag=True, help="Every page.")
        @functools.wraps(command)
        def with_paging(
            *args: Any, page: int | None, page_size: int | None, every: bool, **kwargs: Any
        ) -> None:
            command(*args, paging=Paging(page, page_size, every), **kwargs)

        return with_paging

    return decorate
