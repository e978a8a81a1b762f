"""Durations on the command line: ``90s``, ``15m``, ``2h``, ``7d`` or plain seconds, as whole seconds."""

from __future__ import annotations

import re

import click

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
_DURATION = re.compile(r"^(\d{1,9})([smhd]?)$")


class Duration(click.ParamType[int]):
    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        found = _DURATION.match(str(value).strip().lower())
        if found is None:
            self.fail(f"{value!r} is not a duration such as 90s, 15m, 2h or 7d", param, ctx)
        return int(found.group(1)) * _UNITS[found.group(2) or "s"]


DURATION = Duration()


def spoken(seconds: int) -> str:
    """``5400`` -> ``1h30m``: the largest units first, for tables."""
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
