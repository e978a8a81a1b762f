"""``vigil webhooks``: the key that signs every webhook Vigil sends (Vigil 2026-11-01, root only)."""

from __future__ import annotations

import click

from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import emit

_HOW_TO_VERIFY = """\
To verify a webhook, base64-decode the key and compute
  "v1=" + hex(HMAC-SHA256(key, TIMESTAMP + "." + RAW_BODY))
where TIMESTAMP is the {timestamp} header, and compare it in constant time
with the {signature} header. Refuse a TIMESTAMP more than 5 minutes from your
clock. Python receivers can call vigil.webhooks.verify(key, timestamp, body,
signature); see docs/webhooks.md."""


@click.group()
def webhooks() -> None:
    """Outbound webhooks: rotation steps, secret-consumer notices and alerts."""


@webhooks.command("signing-key")
@json_option
@click.pass_obj
def signing_key(target: Target, as_json: bool) -> None:
    """Print the base64 webhook signing key on stdout, and how to verify a signature on stderr."""
    body = target.client().vigil("GetWebhookSigningKey")
    body.pop("RequestId", None)
    if as_json:
        emit(body, as_json=True)
        return
    click.echo(body["SigningKey"])
    note = _HOW_TO_VERIFY.format(timestamp=body["TimestampHeader"], signature=body["SignatureHeader"])
    click.echo(note, err=True)


COMMANDS: list[click.Command] = [webhooks]
