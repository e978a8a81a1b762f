"""``vigil secrets``: values, versions and stages, metadata, deletion windows and tags (KMS 2016-01-20).

Secret values are printed only by ``get``, and only to stdout. Every other command shows
metadata. Rotation commands live in ``vigil.cli.secret_rotation`` and consumers in
``vigil.cli.secret_consumers``.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import click

from vigil.cli import secret_consumers, secret_rotation
from vigil.cli.actions import sends
from vigil.cli.config import Target
from vigil.cli.options import F, Paging, all_pages, exactly_one, json_option, key_values, paged
from vigil.cli.output import emit, table
from vigil.cli.tagging import Taggable, add_tag_commands, tag_list

_TYPES = ("Generic", "Rds", "RAMCredentials")
# table column -> ListSecrets field; creation time is left to --json so a row fits 80 columns
_LIST_COLUMNS = {
    "SecretName": "SecretName",
    "Type": "SecretType",
    "Updated": "UpdateTime",
    "Deletes at": "PlannedDeleteTime",
}


def _result(body: dict[str, Any]) -> dict[str, Any]:
    body.pop("RequestId", None)
    return body


# -- reading a value from the command line -----------------------------------------------------


def _value_options(f: F) -> F:
    """Adds --value, --file, --stdin and --binary: where a new secret value comes from."""
    f = click.option(
        "--binary", is_flag=True, help="Store the bytes as a binary secret (SecretDataType binary)."
    )(f)
    f = click.option("--stdin", is_flag=True, help="Read the value from stdin, exactly as given.")(f)
    f = click.option(
        "--file",
        "value_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Read the value from a file, exactly as stored (no newline is stripped).",
    )(f)
    return click.option(
        "--value",
        default=None,
        help="The value as text (visible in shell history: prefer --file or --stdin).",
    )(f)


def _secret_data(value: str | None, value_file: Path | None, stdin: bool, binary: bool) -> dict[str, str]:
    """SecretData and SecretDataType from whichever source was given. Raises click.UsageError."""
    exactly_one({"--value": value, "--file": value_file, "--stdin": stdin or None})
    if value is not None:
        raw = value.encode("utf-8")
    elif value_file is not None:
        raw = value_file.read_bytes()
    else:
        with click.open_file("-", "rb") as stdin_bytes:
            raw = stdin_bytes.read()
    if binary:
        return {"SecretData": base64.b64encode(raw).decode(), "SecretDataType": "binary"}
    try:
        return {"SecretData": raw.decode("utf-8"), "SecretDataType": "text"}
    except UnicodeDecodeError:
        raise click.UsageError("the value is not UTF-8 text; add --binary to store its bytes") from None


def _extended_config(text: str | None, path: Path | None) -> dict[str, Any] | None:
    """The ExtendedConfig JSON object, from --extended-config or --extended-config-file."""
    if text is None and path is None:
        return None
    exactly_one({"--extended-config": text, "--extended-config-file": path})
    source = str(text) if path is None else path.read_text(encoding="utf-8", errors="replace")
    try:
        config = json.loads(source)
    except json.JSONDecodeError as exc:
        raise click.UsageError(
            f"the ExtendedConfig is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    if not isinstance(config, dict):
        raise click.UsageError(
            'the ExtendedConfig must be a JSON object, e.g. {"RotationWebhook": "https://…"}'
        )
    return config


def _write_secret_file(path: Path, data: bytes) -> None:
    """Write the value readable by its owner only; ``-`` writes the raw bytes to stdout."""
    if str(path) == "-":
        with click.open_file("-", "wb") as stdout_bytes:
            stdout_bytes.write(data)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


@click.group()
def secrets() -> None:
    """Store, read, version, rotate and delete secrets."""


@secrets.command()
@click.argument("name")
@_value_options
@click.option("--type", "secret_type", type=click.Choice(_TYPES), default=None, help="Default Generic.")
@click.option(
    "--key", default=None, help="The KMS key that encrypts the versions (default: a Vigil-managed key)."
)
@click.option("--description", default=None)
@click.option("--version-id", default=None, help="The first version's id (default v1).")
@click.option("--extended-config", default=None, metavar="JSON", help="ExtendedConfig as a JSON object.")
@click.option(
    "--extended-config-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the ExtendedConfig JSON object from a file.",
)
@click.option("--rotation-interval", default=None, metavar="INTERVAL", help="e.g. 30d (with --auto-rotate).")
@click.option("--auto-rotate", is_flag=True, help="Rotate automatically every --rotation-interval.")
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="NAME=VALUE",
    callback=key_values,
    help="Tag the secret; repeatable.",
)
@json_option
@click.pass_obj
def create(
    target: Target,
    name: str,
    value: str | None,
    value_file: Path | None,
    stdin: bool,
    binary: bool,
    secret_type: str | None,
    key: str | None,
    description: str | None,
    version_id: str | None,
    extended_config: str | None,
    extended_config_file: Path | None,
    rotation_interval: str | None,
    auto_rotate: bool,
    tags: tuple[tuple[str, str], ...],
    as_json: bool,
) -> None:
    """Create a secret from --value, --file or --stdin and show its metadata (never its value)."""
    params = {
        "SecretName": name,
        **_secret_data(value, value_file, stdin, binary),
        "SecretType": secret_type,
        "EncryptionKeyId": key,
        "Description": description,
        "VersionId": version_id,
        "ExtendedConfig": _extended_config(extended_config, extended_config_file),
        "RotationInterval": rotation_interval,
        "EnableAutomaticRotation": True if auto_rotate else None,
        "Tags": tag_list(tags),
    }
    emit(_result(target.client().call("CreateSecret", params)), as_json=as_json)


@secrets.command()
@click.argument("name")
@click.option("--version-id", default=None, help="This version (default: the ACSCurrent one).")
@click.option("--stage", default=None, help="The version in this stage, e.g. ACSPrevious.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=None,
    help="Write the raw value to this file (mode 0600; '-' for stdout) instead of printing it.",
)
@json_option
@click.pass_obj
def get(
    target: Target, name: str, version_id: str | None, stage: str | None, out: Path | None, as_json: bool
) -> None:
    """Print a secret's value; a binary value is printed base64-encoded unless --out is given."""
    body = _result(
        target.client().call(
            "GetSecretValue", {"SecretName": name, "VersionId": version_id, "VersionStage": stage}
        )
    )
    if out is None:
        emit(body if as_json else body["SecretData"], as_json=as_json)
        return
    data = str(body.pop("SecretData"))
    raw = base64.b64decode(data) if body["SecretDataType"] == "binary" else data.encode("utf-8")
    _write_secret_file(out, raw)
    if as_json:
        emit(body, as_json=True)
    elif str(out) != "-":
        click.echo(f"{name}: wrote version {body['VersionId']} ({len(raw)} bytes) to {out}", err=True)


@secrets.command()
@click.argument("name")
@_value_options
@click.option("--version-id", required=True, help="The new version's id, e.g. v2.")
@click.option(
    "--stage", "stages", multiple=True, help="Stage of the new version; repeatable (default ACSCurrent)."
)
@json_option
@click.pass_obj
def put(
    target: Target,
    name: str,
    value: str | None,
    value_file: Path | None,
    stdin: bool,
    binary: bool,
    version_id: str,
    stages: tuple[str, ...],
    as_json: bool,
) -> None:
    """Store a new version of a secret; by default it becomes ACSCurrent."""
    params = {
        "SecretName": name,
        **_secret_data(value, value_file, stdin, binary),
        "VersionId": version_id,
        "VersionStages": list(stages) or None,
    }
    body = _result(target.client().call("PutSecretValue", params))
    staged = ", ".join(body["VersionStages"]["VersionStage"]) or "no stage"
    emit(body if as_json else f"{name}: stored version {body['VersionId']} ({staged})", as_json=as_json)


@secrets.command()
@click.argument("name")
@json_option
@click.pass_obj
def describe(target: Target, name: str, as_json: bool) -> None:
    """Show a secret's metadata, rotation settings and tags."""
    body = _result(target.client().call("DescribeSecret", {"SecretName": name, "FetchTags": True}))
    if not as_json:
        body["Tags"] = ", ".join(f"{t['TagKey']}={t['TagValue']}" for t in body["Tags"]["Tag"])
    emit(body, as_json=as_json)


@secrets.command("list")
@click.option("--name-contains", default=None, metavar="TEXT", help="Only secrets whose name contains TEXT.")
@click.option("--type", "secret_type", type=click.Choice(_TYPES), default=None, help="Only this type.")
@paged("Secrets")
@json_option
@click.pass_obj
def list_secrets(
    target: Target,
    name_contains: str | None,
    secret_type: str | None,
    paging: Paging,
    as_json: bool,
) -> None:
    """List secrets by name with their type and dates (including those pending deletion)."""
    filters = [
        {"Key": key, "Values": [value]}
        for key, value in (("SecretName", name_contains), ("SecretType", secret_type))
        if value is not None
    ]
    params: dict[str, Any] = {"Filters": filters or None}
    rows, total = paging.fetch(target.client(), "ListSecrets", params, ("SecretList", "Secret"))
    if not as_json:
        rows = [{c: item[f] for c, f in _LIST_COLUMNS.items()} for item in rows]
    table(rows, list(_LIST_COLUMNS), as_json=as_json, title="Secrets")
    if not as_json:
        paging.say_if_partial(len(rows), total, "secrets")


@secrets.command()
@click.argument("name")
@click.option("--include-deprecated", is_flag=True, help="Also versions that carry no stage.")
@json_option
@click.pass_obj
def versions(target: Target, name: str, include_deprecated: bool, as_json: bool) -> None:
    """List a secret's versions and their stages."""
    params = {"SecretName": name, "IncludeDeprecated": include_deprecated}
    items = all_pages(target.client(), "ListSecretVersionIds", params, ("VersionIds", "VersionId"))
    rows = (
        items if as_json else [{**v, "Stages": ", ".join(v["VersionStages"]["VersionStage"])} for v in items]
    )
    table(rows, ("VersionId", "Stages", "CreateTime"), as_json=as_json, title=f"Versions of {name}")


@secrets.command()
@click.argument("name")
@click.argument("stage")
@click.option("--to", "to_version", default=None, metavar="VERSION", help="Move STAGE to this version.")
@click.option("--from", "from_version", default=None, metavar="VERSION", help="The version that has it now.")
@click.pass_obj
def stage(target: Target, name: str, stage: str, to_version: str | None, from_version: str | None) -> None:
    """Move a stage (ACSCurrent, ACSPrevious or your own) to another version."""
    if to_version is None and from_version is None:
        raise click.UsageError("give --to VERSION, --from VERSION, or both")
    params = {
        "SecretName": name,
        "VersionStage": stage,
        "MoveToVersion": to_version,
        "RemoveFromVersion": from_version,
    }
    target.client().call("UpdateSecretVersionStage", params)
    moved = f"moved to {to_version}" if to_version else f"removed from {from_version}"
    click.echo(f"{name}: {stage} {moved}")


@secrets.command()
@click.argument("name")
@click.option("--description", default=None, help="A new description.")
@click.option(
    "--custom",
    "custom",
    multiple=True,
    metavar="NAME=VALUE",
    callback=key_values,
    help="Set ExtendedConfig.CustomData entry NAME; repeatable.",
)
@click.pass_obj
def update(target: Target, name: str, description: str | None, custom: tuple[tuple[str, str], ...]) -> None:
    """Change a secret's description or the CustomData of its ExtendedConfig."""
    if description is None and not custom:
        raise click.UsageError("give --description or --custom NAME=VALUE")
    config = {"CustomData": dict(custom)} if custom else None
    target.client().call(
        "UpdateSecret", {"SecretName": name, "Description": description, "ExtendedConfig": config}
    )
    click.echo(f"{name}: updated")


@secrets.command()
@click.argument("name")
@click.option(
    "--recovery-days", type=click.IntRange(7, 30), default=None, help="Recovery window (default 30)."
)
@click.option("--force", is_flag=True, help="Destroy at once, without a recovery window.")
@json_option
@click.pass_obj
def delete(target: Target, name: str, recovery_days: int | None, force: bool, as_json: bool) -> None:
    """Schedule a secret's destruction after a recovery window (restore undoes it), or --force it now."""
    if force and recovery_days is not None:
        raise click.UsageError("--force cannot be combined with --recovery-days")
    params = {
        "SecretName": name,
        "RecoveryWindowInDays": recovery_days,
        "ForceDeleteWithoutRecovery": True if force else None,
    }
    body = _result(target.client().call("DeleteSecret", params))
    if as_json:
        emit(body, as_json=True)
    elif force:
        click.echo(f"{name}: destroyed; it cannot be restored")
    else:
        when = body["PlannedDeleteTime"]
        click.echo(
            f"{name}: will be destroyed at {when}; until then 'vigil secrets restore {name}' undoes this"
        )


@secrets.command()
@click.argument("name")
@sends("RestoreSecret", {"SecretName": "name"}, says="{name}: restored")
def restore() -> None:
    """Cancel a scheduled deletion during its recovery window."""


add_tag_commands(
    secrets, Taggable("secret", "NAME", "SecretName", title="Tags of {ref}", names_metavar="TAG")
)
for command in secret_rotation.COMMANDS:
    secrets.add_command(command)
secrets.add_command(secret_consumers.consumers)

COMMANDS: list[click.Command] = [secrets]
