"""Commands whose whole job is one API action: ``@sends`` gives a documented stub that body.

The click decorators above the stub still declare the command's name, arguments and options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import click

from vigil.cli.config import Target
from vigil.client import KMS

Stub = Callable[[], None]
Body = Callable[..., None]


def sends(
    action: str,
    fields: Mapping[str, str],
    *,
    says: str,
    also: Mapping[str, str] | None = None,
    version: str = KMS,
) -> Callable[[Stub], Body]:
    """Makes a stub the body that sends ACTION and prints ``says`` formatted with the command's parameters.

    ``fields`` maps each API parameter to the command parameter that fills it; ``also`` adds
    fixed API parameters.
    """

    def decorate(stub: Stub) -> Body:
        @functools.wraps(stub)
        def send(target: Target, **values: Any) -> None:
            params = {field: values[name] for field, name in fields.items()}
            target.client().call(action, {**params, **(also or {})}, version=version)
            click.echo(says.format(**values))

        return click.pass_obj(send)

    return decorate
