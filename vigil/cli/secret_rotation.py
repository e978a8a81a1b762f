"""``vigil secrets rotate``, ``rotation-policy`` and ``history``: rotation now, on a schedule, and its record.

A failed rotation leaves ACSCurrent untouched; ``rotate`` then exits 1 with the failure's code
and message, and ``history`` keeps it (docs/rotation.md lists the codes).
"""

from __future__ import annotations

from typing import Any

import click

from vigil.cli.config import Target
from vigil.cli.options import json_option
from vigil.cli.output import emit, table

_HISTORY_COLUMNS = ("Time", "Trigger", "Status", "Version", "Error")


def _history_row(record: dict[str, Any]) -> dict[str, str]:
    error = f"{record['ErrorCode']}: {record['ErrorMessage']}" if record["ErrorCode"] else ""
    return {
        "Time": record["StartTime"],
        "Secret": record["SecretName"],
        "Trigger": record["Trigger"],
        "Status": record["Status"],
        "Version": record["VersionId"],
        "Error": error,
    }


@click.command("rotation-policy")
@click.argument("name")
@click.option("--enable/--disable", "enabled", required=True, help="Turn automatic rotation on or off.")
@click.option("--interval", default=None, metavar="INTERVAL", help="Rotation period, e.g. 30d.")
@click.pass_obj
def rotation_policy(target: Target, name: str, enabled: bool, interval: str | None) -> None:
    """Turn automatic rotation on or off (only Rds, RAMCredentials and webhook secrets rotate)."""
    params = {"SecretName": name, "EnableAutomaticRotation": enabled, "RotationInterval": interval}
    target.client().call("UpdateSecretRotationPolicy", params)
    every = f" every {interval}" if interval and enabled else ""
    click.echo(f"{name}: automatic rotation {'on' if enabled else 'off'}{every}")


@click.command()
@click.argument("name")
@click.option("--version-id", default=None, help="The new version's id (default: generated).")
@json_option
@click.pass_obj
def rotate(target: Target, name: str, version_id: str | None, as_json: bool) -> None:
    """Rotate now; on failure ACSCurrent is untouched and the error code and message are shown."""
    body = target.client().call("RotateSecret", {"SecretName": name, "VersionId": version_id})
    body.pop("RequestId", None)
    emit(body if as_json else f"{name}: rotated; {body['VersionId']} is now ACSCurrent", as_json=as_json)


@click.command()
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@click.pass_obj
def history(target: Target, name: str | None, limit: int, as_json: bool) -> None:
    """Show rotation attempts, newest first: trigger, status, version and any error (every secret if no NAME)."""
    body = target.client().vigil("ListSecretRotations", {"SecretName": name, "Limit": limit})
    records = body["Rotations"]["Rotation"]
    if as_json:
        emit(records, as_json=True)
        return
    columns = _HISTORY_COLUMNS if name else ("Time", "Secret", *_HISTORY_COLUMNS[1:])
    rows = [_history_row(r) for r in records]
    table(rows, columns, as_json=False, title=f"Rotations of {name}" if name else "Rotations")


COMMANDS: list[click.Command] = [rotation_policy, rotate, history]
