"""``vigil secrets consumers``: webhooks told when a secret's current version changes (Vigil 2026-11-01).

A notice names the secret and the new version, never the value; see docs/rotation.md.
"""

from __future__ import annotations

import click

from vigil.cli.actions import sends
from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import table
from vigil.client import VIGIL

_NOTICE_COLUMNS = ("CreateTime", "ConsumerName", "VersionId", "Status", "Attempts", "LastError")


@click.group()
def consumers() -> None:
    """Consumers of a secret: signed webhooks notified when its ACSCurrent version changes."""


@consumers.command("add")
@click.argument("name")
@click.argument("consumer")
@click.option("--url", required=True, help="The http(s) URL that receives the signed notices.")
@sends(
    "PutSecretConsumer",
    {"SecretName": "name", "ConsumerName": "consumer", "WebhookUrl": "url"},
    says="{name}: consumer {consumer} -> {url}",
    version=VIGIL,
)
def add_consumer() -> None:
    """Register CONSUMER of secret NAME, or point an existing one at a new URL."""


@consumers.command("list")
@click.argument("name")
@json_option
@click.pass_obj
def list_consumers(target: Target, name: str, as_json: bool) -> None:
    """List a secret's consumers."""
    rows = target.client().vigil("ListSecretConsumers", {"SecretName": name})["Consumers"]["Consumer"]
    table(rows, ("ConsumerName", "WebhookUrl", "CreateTime"), as_json=as_json, title=f"Consumers of {name}")


@consumers.command("remove")
@click.argument("name")
@click.argument("consumer")
@sends(
    "DeleteSecretConsumer",
    {"SecretName": "name", "ConsumerName": "consumer"},
    says="{name}: consumer {consumer} removed",
    version=VIGIL,
)
def remove_consumer() -> None:
    """Stop notifying CONSUMER about secret NAME."""


@consumers.command("notices")
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@click.pass_obj
def list_notices(target: Target, name: str, limit: int, as_json: bool) -> None:
    """Show the notices sent to a secret's consumers: status, attempts and the last error."""
    body = target.client().vigil("ListSecretConsumerNotices", {"SecretName": name, "Limit": limit})
    table(body["Notices"]["Notice"], _NOTICE_COLUMNS, as_json=as_json, title=f"Notices for {name}")
