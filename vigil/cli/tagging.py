"""``tag``, ``untag`` and ``tags``: the tag commands of every taggable noun (keys and secrets).

The three commands are built once here and added to each noun's group, named for its resource.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click

from vigil.cli.actions import Body
from vigil.cli.config import Target
from vigil.cli.options import json_option, key_values
from vigil.cli.output import table


def tag_list(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]] | None:
    """The API's Tags list for NAME=VALUE pairs, or None when there are none."""
    return [{"TagKey": k, "TagValue": v} for k, v in pairs] or None


@dataclass(frozen=True, slots=True)
class Taggable:
    """One kind of taggable resource: how the tag commands name it in their help and in the API."""

    noun: str  # "key", as the help text names one
    metavar: str  # "KEY", how the resource argument is shown
    field: str  # "KeyId", the API parameter that names the resource
    title: str = "Tags"  # the tags table's title; "{ref}" stands for the resource
    names_metavar: str | None = None  # how untag shows the tag names (click's default: NAMES...)

    def tag(self, target: Target, ref: str, tags: tuple[tuple[str, str], ...]) -> None:
        """Sets the NAME=VALUE tags on the resource REF."""
        target.client().call("TagResource", {self.field: ref, "Tags": tag_list(tags)})
        click.echo(f"{ref}: tagged {', '.join(k for k, _ in tags)}")

    def untag(self, target: Target, ref: str, names: tuple[str, ...]) -> None:
        """Removes the named tags from the resource REF."""
        target.client().call("UntagResource", {self.field: ref, "TagKeys": list(names)})
        click.echo(f"{ref}: untagged {', '.join(names)}")

    def list_tags(self, target: Target, ref: str, as_json: bool) -> None:
        """Prints the tags of the resource REF."""
        rows = target.client().call("ListResourceTags", {self.field: ref})["Tags"]["Tag"]
        table(rows, ("TagKey", "TagValue"), as_json=as_json, title=self.title.format(ref=ref))


def add_tag_commands(group: click.Group, resource: Taggable) -> None:
    """Adds ``tag``, ``untag`` and ``tags`` for RESOURCE to GROUP; each takes the resource first."""
    noun, example = resource.noun, f"vigil {group.name} tag {resource.metavar} env=prod team=payments"
    tags = click.argument("tags", nargs=-1, required=True, metavar="NAME=VALUE", callback=key_values)
    names = click.argument("names", nargs=-1, required=True, metavar=resource.names_metavar)
    commands: list[tuple[str, str, Body, Callable[[Body], Body]]] = [
        ("tag", f"Set tags on a {noun}: {example}.", resource.tag, tags),
        ("untag", f"Remove tags from a {noun} by name.", resource.untag, names),
        ("tags", f"List a {noun}'s tags.", resource.list_tags, json_option),
    ]
    for name, help_text, body, parameter in commands:
        callback = click.argument("ref", metavar=resource.metavar)(parameter(click.pass_obj(body)))
        group.add_command(click.command(name, help=help_text)(callback))
