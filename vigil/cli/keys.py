"""``vigil keys``: key lifecycle, versions, rotation, deletion protection, aliases and tags (KMS 2016-01-20).

KEY arguments accept a key id, a key ARN or an alias name (``alias/...``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from vigil.cli.actions import sends
from vigil.cli.config import Target
from vigil.cli.options import Paging, all_pages, json_option, key_values, paged
from vigil.cli.output import emit, table
from vigil.cli.tagging import Taggable, add_tag_commands, tag_list
from vigil.client import VigilClient

_STATES = ("Enabled", "Disabled", "PendingDeletion", "Deleted")
# table column -> KeyMetadata field
_LIST_COLUMNS = {
    "KeyId": "KeyId",
    "State": "KeyState",
    "Spec": "KeySpec",
    "Usage": "KeyUsage",
    "Description": "Description",
}
_PROGRESS_FROM = 5  # describing fewer keys than this is quick enough to need no progress bar


def _describe_each(client: VigilClient, key_ids: Sequence[str]) -> list[dict[str, Any]]:
    """KeyMetadata of each key, with a progress bar on stderr when there are many."""
    rows: list[dict[str, Any]] = []
    progress = Progress(console=Console(stderr=True), transient=True, disable=len(key_ids) < _PROGRESS_FROM)
    with progress:
        for key_id in progress.track(key_ids, description="Describing keys"):
            rows.append(client.call("DescribeKey", {"KeyId": key_id})["KeyMetadata"])
    return rows


@click.group()
def keys() -> None:
    """Create, list and manage keys; KEY is a key id, ARN or alias/NAME."""


@keys.command()
@click.option(
    "--spec",
    default="Aliyun_AES_256",
    show_default=True,
    help="Aliyun_AES_256, Aliyun_AES_128, RSA_2048, RSA_3072, EC_P256 or EC_P256K.",
)
@click.option("--usage", default="ENCRYPT/DECRYPT", show_default=True, help="ENCRYPT/DECRYPT or SIGN/VERIFY.")
@click.option("--description", default=None)
@click.option("--instance", default=None, metavar="KST_ID", help="KMS instance (default: the account's).")
@click.option(
    "--rotation-interval",
    default=None,
    metavar="INTERVAL",
    help="Turn on automatic rotation every INTERVAL, e.g. 30d (7d to 730d).",
)
@click.option(
    "--tag", "tags", multiple=True, metavar="NAME=VALUE", callback=key_values, help="Tag the key; repeatable."
)
@json_option
@click.pass_obj
def create(
    target: Target,
    spec: str,
    usage: str,
    description: str | None,
    instance: str | None,
    rotation_interval: str | None,
    tags: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """Create a key and show its metadata."""
    body = target.client().call(
        "CreateKey",
        {
            "KeySpec": spec,
            "KeyUsage": usage,
            "Description": description,
            "DKMSInstanceId": instance,
            "EnableAutomaticRotation": True if rotation_interval else None,
            "RotationInterval": rotation_interval,
            "Tags": tag_list(tags),
        },
    )
    emit(body["KeyMetadata"], as_json=as_json)


@keys.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(_STATES),
    help="Only keys in this state; repeatable (default: every state but Deleted).",
)
@paged("Keys")
@json_option
@click.pass_obj
def list_keys(
    target: Target,
    states: tuple[str, ...],
    paging: Paging,
    as_json: bool,
) -> None:
    """List keys with their state, spec, usage and description."""
    client = target.client()
    params: dict[str, Any] = {"Filters": [{"Key": "KeyState", "Values": list(states)}] if states else None}
    items, total = paging.fetch(client, "ListKeys", params, ("Keys", "Key"))
    rows = _describe_each(client, [item["KeyId"] for item in items])
    if as_json:
        emit(rows, as_json=True)
        return
    table(
        [{c: m[f] for c, f in _LIST_COLUMNS.items()} for m in rows],
        list(_LIST_COLUMNS),
        as_json=False,
        title="Keys",
    )
    paging.say_if_partial(len(rows), total, "keys")


@keys.command()
@click.argument("key")
@json_option
@click.pass_obj
def describe(target: Target, key: str, as_json: bool) -> None:
    """Show a key's metadata."""
    emit(target.client().call("DescribeKey", {"KeyId": key})["KeyMetadata"], as_json=as_json)


@keys.command()
@click.argument("key")
@sends("EnableKey", {"KeyId": "key"}, says="{key}: enabled")
def enable() -> None:
    """Enable a disabled key."""


@keys.command()
@click.argument("key")
@sends("DisableKey", {"KeyId": "key"}, says="{key}: disabled")
def disable() -> None:
    """Disable a key: it can no longer encrypt or decrypt until enabled again."""


@keys.command("schedule-deletion")
@click.argument("key")
@click.option("--days", required=True, type=int, help="Pending window in days (7 to 366).")
@sends(
    "ScheduleKeyDeletion",
    {"KeyId": "key", "PendingWindowInDays": "days"},
    says="{key}: pending deletion; its material will be destroyed in {days} days",
)
def schedule_deletion() -> None:
    """Schedule a key's destruction after a pending window; cancel-deletion undoes it until then."""


@keys.command("cancel-deletion")
@click.argument("key")
@sends("CancelKeyDeletion", {"KeyId": "key"}, says="{key}: deletion cancelled")
def cancel_deletion() -> None:
    """Cancel a scheduled deletion; the key is enabled again."""


@keys.command()
@click.argument("key")
@click.option("--on/--off", "on", required=True, help="Turn deletion protection on or off.")
@click.option("--description", default=None, help="Why the key is protected.")
@click.pass_obj
def protect(target: Target, key: str, on: bool, description: str | None) -> None:
    """Turn deletion protection on or off; a protected key cannot be scheduled for deletion."""
    client = target.client()
    arn = key if key.startswith("acs:") else client.call("DescribeKey", {"KeyId": key})["KeyMetadata"]["Arn"]
    client.call(
        "SetDeletionProtection",
        {
            "ProtectedResourceArn": arn,
            "EnableDeletionProtection": on,
            "DeletionProtectionDescription": description,
        },
    )
    click.echo(f"{key}: deletion protection {'on' if on else 'off'}")


@keys.command()
@click.argument("key")
@json_option
@click.pass_obj
def rotate(target: Target, key: str, as_json: bool) -> None:
    """Create a new primary key version; older versions still decrypt."""
    version = target.client().call("CreateKeyVersion", {"KeyId": key})["KeyVersion"]
    emit(
        version if as_json else f"{version['KeyId']}: new version {version['KeyVersionId']}", as_json=as_json
    )


@keys.command()
@click.argument("key")
@json_option
@click.pass_obj
def versions(target: Target, key: str, as_json: bool) -> None:
    """List a key's versions, oldest first."""
    rows = all_pages(target.client(), "ListKeyVersions", {"KeyId": key}, ("KeyVersions", "KeyVersion"))
    table(rows, ("KeyVersionId", "CreationDate"), as_json=as_json, title="Key versions")


@keys.command("rotation-policy")
@click.argument("key")
@click.option("--enable/--disable", "enabled", required=True, help="Turn automatic rotation on or off.")
@click.option("--interval", default=None, metavar="INTERVAL", help="Rotation period, e.g. 30d (7d to 730d).")
@click.pass_obj
def rotation_policy(target: Target, key: str, enabled: bool, interval: str | None) -> None:
    """Turn automatic rotation on or off."""
    target.client().call(
        "UpdateRotationPolicy",
        {"KeyId": key, "EnableAutomaticRotation": enabled, "RotationInterval": interval},
    )
    every = f" every {interval}" if interval and enabled else ""
    click.echo(f"{key}: automatic rotation {'on' if enabled else 'off'}{every}")


@keys.command("public-key")
@click.argument("key")
@click.option("--version", "version_id", default=None, help="Key version (default: the primary).")
@json_option
@click.pass_obj
def public_key(target: Target, key: str, version_id: str | None, as_json: bool) -> None:
    """Print an asymmetric key's public key (PEM)."""
    body = target.client().call("GetPublicKey", {"KeyId": key, "KeyVersionId": version_id})
    body.pop("RequestId", None)
    if as_json:
        emit(body, as_json=True)
    else:
        click.echo(str(body["PublicKey"]).rstrip("\n"))


# -- aliases ---------------------------------------------------------------------------------


@keys.group()
def alias() -> None:
    """Alias names (alias/NAME) that stand for a key wherever KEY is accepted."""


@alias.command("create")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("key")
@sends("CreateAlias", {"AliasName": "alias_name", "KeyId": "key"}, says="{alias_name} -> {key}")
def create_alias() -> None:
    """Point a new alias (alias/NAME) at KEY."""


@alias.command("update")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("key")
@sends("UpdateAlias", {"AliasName": "alias_name", "KeyId": "key"}, says="{alias_name} -> {key}")
def update_alias() -> None:
    """Point an existing alias at another key."""


@alias.command("delete")
@click.argument("alias_name", metavar="ALIAS")
@sends("DeleteAlias", {"AliasName": "alias_name"}, says="{alias_name}: deleted")
def delete_alias() -> None:
    """Delete an alias; the key itself is untouched."""


@alias.command("list")
@click.option("--key", default=None, help="Only the aliases of this key.")
@json_option
@click.pass_obj
def list_aliases(target: Target, key: str | None, as_json: bool) -> None:
    """List aliases and the keys they point at."""
    action, params = ("ListAliasesByKeyId", {"KeyId": key}) if key else ("ListAliases", {})
    rows = all_pages(target.client(), action, params, ("Aliases", "Alias"))
    table(rows, ("AliasName", "KeyId"), as_json=as_json, title="Aliases")


add_tag_commands(keys, Taggable("key", "KEY", "KeyId"))

COMMANDS: list[click.Command] = [keys]
