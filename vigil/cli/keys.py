"""``vigil keys``: key lifecycle, versions, rotation, deletion protection, aliases and tags (KMS 2016-01-20).

KEY arguments accept a key id, a key ARN or an alias name (``alias/...``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress

from vigil.cli.config import Target
from vigil.cli.options import all_pages, json_option, key_values
from vigil.cli.output import emit, table
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


def _tags(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]] | None:
    return [{"TagKey": k, "TagValue": v} for k, v in pairs] or None


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
            "Tags": _tags(tags),
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
@click.option("--page", type=click.IntRange(min=1), default=None, help="Page number (default 1).")
@click.option("--page-size", type=click.IntRange(1, 100), default=None, help="Keys per page (default 10).")
@click.option("--all", "every", is_flag=True, help="Every page.")
@json_option
@click.pass_obj
def list_keys(
    target: Target,
    states: tuple[str, ...],
    page: int | None,
    page_size: int | None,
    every: bool,
    as_json: bool,
) -> None:
    """List keys with their state, spec, usage and description."""
    if every and (page or page_size):
        raise click.UsageError("--all cannot be combined with --page or --page-size")
    client = target.client()
    params: dict[str, Any] = {"Filters": [{"Key": "KeyState", "Values": list(states)}] if states else None}
    if every:
        items = all_pages(client, "ListKeys", params, ("Keys", "Key"))
        total = len(items)
    else:
        body = client.call("ListKeys", {**params, "PageNumber": page or 1, "PageSize": page_size or 10})
        items, total = body["Keys"]["Key"], int(body["TotalCount"])
    rows = _describe_each(client, [item["KeyId"] for item in items])
    if as_json:
        emit(rows, as_json=True)
    else:
        table(
            [{c: m[f] for c, f in _LIST_COLUMNS.items()} for m in rows],
            list(_LIST_COLUMNS),
            as_json=False,
            title="Keys",
        )
    if len(rows) < total and not as_json:
        click.echo(f"showing {len(rows)} of {total} keys (page {page or 1}); use --page N or --all", err=True)


@keys.command()
@click.argument("key")
@json_option
@click.pass_obj
def describe(target: Target, key: str, as_json: bool) -> None:
    """Show a key's metadata."""
    emit(target.client().call("DescribeKey", {"KeyId": key})["KeyMetadata"], as_json=as_json)


@keys.command()
@click.argument("key")
@click.pass_obj
def enable(target: Target, key: str) -> None:
    """Enable a disabled key."""
    target.client().call("EnableKey", {"KeyId": key})
    click.echo(f"{key}: enabled")


@keys.command()
@click.argument("key")
@click.pass_obj
def disable(target: Target, key: str) -> None:
    """Disable a key: it can no longer encrypt or decrypt until enabled again."""
    target.client().call("DisableKey", {"KeyId": key})
    click.echo(f"{key}: disabled")


@keys.command("schedule-deletion")
@click.argument("key")
@click.option("--days", required=True, type=int, help="Pending window in days (7 to 366).")
@click.pass_obj
def schedule_deletion(target: Target, key: str, days: int) -> None:
    """Schedule a key's destruction after a pending window; cancel-deletion undoes it until then."""
    target.client().call("ScheduleKeyDeletion", {"KeyId": key, "PendingWindowInDays": days})
    click.echo(f"{key}: pending deletion; its material will be destroyed in {days} days")


@keys.command("cancel-deletion")
@click.argument("key")
@click.pass_obj
def cancel_deletion(target: Target, key: str) -> None:
    """Cancel a scheduled deletion; the key is enabled again."""
    target.client().call("CancelKeyDeletion", {"KeyId": key})
    click.echo(f"{key}: deletion cancelled")


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


# -- tags ------------------------------------------------------------------------------------


@keys.command()
@click.argument("key")
@click.argument("tags", nargs=-1, required=True, metavar="NAME=VALUE", callback=key_values)
@click.pass_obj
def tag(target: Target, key: str, tags: tuple[tuple[str, str], ...]) -> None:
    """Set tags on a key: vigil keys tag KEY env=prod team=payments."""
    target.client().call("TagResource", {"KeyId": key, "Tags": _tags(tags)})
    click.echo(f"{key}: tagged {', '.join(k for k, _ in tags)}")


@keys.command()
@click.argument("key")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def untag(target: Target, key: str, names: tuple[str, ...]) -> None:
    """Remove tags from a key by name."""
    target.client().call("UntagResource", {"KeyId": key, "TagKeys": list(names)})
    click.echo(f"{key}: untagged {', '.join(names)}")


@keys.command("tags")
@click.argument("key")
@json_option
@click.pass_obj
def list_tags(target: Target, key: str, as_json: bool) -> None:
    """List a key's tags."""
    rows = target.client().call("ListResourceTags", {"KeyId": key})["Tags"]["Tag"]
    table(rows, ("TagKey", "TagValue"), as_json=as_json, title="Tags")


# -- aliases ---------------------------------------------------------------------------------


@keys.group()
def alias() -> None:
    """Alias names (alias/NAME) that stand for a key wherever KEY is accepted."""


@alias.command("create")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("key")
@click.pass_obj
def create_alias(target: Target, alias_name: str, key: str) -> None:
    """Point a new alias (alias/NAME) at KEY."""
    target.client().call("CreateAlias", {"AliasName": alias_name, "KeyId": key})
    click.echo(f"{alias_name} -> {key}")


@alias.command("update")
@click.argument("alias_name", metavar="ALIAS")
@click.argument("key")
@click.pass_obj
def update_alias(target: Target, alias_name: str, key: str) -> None:
    """Point an existing alias at another key."""
    target.client().call("UpdateAlias", {"AliasName": alias_name, "KeyId": key})
    click.echo(f"{alias_name} -> {key}")


@alias.command("delete")
@click.argument("alias_name", metavar="ALIAS")
@click.pass_obj
def delete_alias(target: Target, alias_name: str) -> None:
    """Delete an alias; the key itself is untouched."""
    target.client().call("DeleteAlias", {"AliasName": alias_name})
    click.echo(f"{alias_name}: deleted")


@alias.command("list")
@click.option("--key", default=None, help="Only the aliases of this key.")
@json_option
@click.pass_obj
def list_aliases(target: Target, key: str | None, as_json: bool) -> None:
    """List aliases and the keys they point at."""
    action, params = ("ListAliasesByKeyId", {"KeyId": key}) if key else ("ListAliases", {})
    rows = all_pages(target.client(), action, params, ("Aliases", "Alias"))
    table(rows, ("AliasName", "KeyId"), as_json=as_json, title="Aliases")


COMMANDS: list[click.Command] = [keys]
