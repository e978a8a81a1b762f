"""Identity administration (Vigil 2026-11-01): ``vigil users``, ``vigil access-keys`` and ``vigil policies``."""

from __future__ import annotations

import json
from typing import IO, Any

import click

from vigil.cli.config import Target
from vigil.cli.options import F, exactly_one, json_option
from vigil.cli.output import console, emit, table

_SECRET_WARNING = "Save the AccessKeySecret now: it will not be shown again."


# -- users -----------------------------------------------------------------------------------


@click.group()
def users() -> None:
    """RAM users: the identities that access keys belong to and policies attach to."""


@users.command("create")
@click.argument("name")
@click.option("--display-name", default=None)
@click.option("--comments", default=None)
@json_option
@click.pass_obj
def create_user(
    target: Target, name: str, display_name: str | None, comments: str | None, as_json: bool
) -> None:
    """Create a user (it can do nothing until a policy is attached)."""
    body = target.client().vigil(
        "CreateUser", {"UserName": name, "DisplayName": display_name, "Comments": comments}
    )
    emit(body["User"], as_json=as_json)


@users.command("list")
@json_option
@click.pass_obj
def list_users(target: Target, as_json: bool) -> None:
    """List users."""
    rows = target.client().vigil("ListUsers")["Users"]["User"]
    table(rows, ("UserName", "UserId", "DisplayName", "CreateDate"), as_json=as_json, title="Users")


@users.command("show")
@click.argument("name")
@json_option
@click.pass_obj
def show_user(target: Target, name: str, as_json: bool) -> None:
    """Show one user."""
    emit(target.client().vigil("GetUser", {"UserName": name})["User"], as_json=as_json)


@users.command("delete")
@click.argument("name")
@click.pass_obj
def delete_user(target: Target, name: str) -> None:
    """Delete a user."""
    target.client().vigil("DeleteUser", {"UserName": name})
    click.echo(f"user {name}: deleted")


# -- access keys -----------------------------------------------------------------------------


@click.group("access-keys")
def access_keys() -> None:
    """Access keys (id and secret) that sign API requests as the root account or a user."""


@access_keys.command("create")
@click.option("--user", default=None, help="The user the key belongs to (default: the root account).")
@json_option
@click.pass_obj
def create_access_key(target: Target, user: str | None, as_json: bool) -> None:
    """Create an access key and print its secret, once."""
    key = target.client().vigil("CreateAccessKey", {"UserName": user})["AccessKey"]
    emit(key, as_json=as_json)
    click.echo(f"Warning: {_SECRET_WARNING}", err=True)


@access_keys.command("list")
@click.option("--user", default=None, help="Only this user's keys (default: the root account's).")
@json_option
@click.pass_obj
def list_access_keys(target: Target, user: str | None, as_json: bool) -> None:
    """List access keys (never their secrets)."""
    rows = target.client().vigil("ListAccessKeys", {"UserName": user})["AccessKeys"]["AccessKey"]
    table(rows, ("AccessKeyId", "UserName", "Status", "CreateDate"), as_json=as_json, title="Access keys")


def _set_status(target: Target, access_key_id: str, status: str) -> None:
    target.client().vigil("UpdateAccessKey", {"UserAccessKeyId": access_key_id, "Status": status})
    click.echo(f"{access_key_id}: {status}")


@access_keys.command("disable")
@click.argument("access_key_id", metavar="ID")
@click.pass_obj
def disable_access_key(target: Target, access_key_id: str) -> None:
    """Make an access key Inactive: requests signed with it are refused."""
    _set_status(target, access_key_id, "Inactive")


@access_keys.command("enable")
@click.argument("access_key_id", metavar="ID")
@click.pass_obj
def enable_access_key(target: Target, access_key_id: str) -> None:
    """Make an access key Active again."""
    _set_status(target, access_key_id, "Active")


@access_keys.command("delete")
@click.argument("access_key_id", metavar="ID")
@click.pass_obj
def delete_access_key(target: Target, access_key_id: str) -> None:
    """Delete an access key for good."""
    target.client().vigil("DeleteAccessKey", {"UserAccessKeyId": access_key_id})
    click.echo(f"{access_key_id}: deleted")


# -- policies --------------------------------------------------------------------------------


@click.group()
def policies() -> None:
    """RAM-style JSON policies ({"Version": "1", "Statement": [...]}) attached to users."""


def _document_options(f: F) -> F:
    f = click.option("--description", default=None)(f)
    f = click.option(
        "--file", "doc_file", type=click.File("r"), default=None, help="Read the document from a file."
    )(f)
    return click.option("--document", default=None, help="The policy document as JSON text.")(f)


def _document(document: str | None, doc_file: IO[str] | None) -> str:
    exactly_one({"--document": document, "--file": doc_file})
    text = document if doc_file is None else doc_file.read()
    try:
        json.loads(str(text))
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="the policy document") from None
    return str(text)


def _show_policy(policy: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        emit(policy, as_json=True)
        return
    document = policy.pop("PolicyDocument", None)
    if "AttachedUsers" in policy:
        policy["AttachedUsers"] = ", ".join(policy["AttachedUsers"].get("UserName", [])) or "(none)"
    emit(policy, as_json=False)
    if document is not None:
        console.print_json(str(document))


@policies.command("create")
@click.argument("name")
@_document_options
@json_option
@click.pass_obj
def create_policy(
    target: Target,
    name: str,
    document: str | None,
    doc_file: IO[str] | None,
    description: str | None,
    as_json: bool,
) -> None:
    """Create a policy from --document JSON or --file."""
    params = {"PolicyName": name, "PolicyDocument": _document(document, doc_file), "Description": description}
    _show_policy(target.client().vigil("CreatePolicy", params)["Policy"], as_json=as_json)


@policies.command("update")
@click.argument("name")
@_document_options
@json_option
@click.pass_obj
def update_policy(
    target: Target,
    name: str,
    document: str | None,
    doc_file: IO[str] | None,
    description: str | None,
    as_json: bool,
) -> None:
    """Replace a policy's document (and description); attached users get it at once."""
    params = {"PolicyName": name, "PolicyDocument": _document(document, doc_file), "Description": description}
    _show_policy(target.client().vigil("UpdatePolicy", params)["Policy"], as_json=as_json)


@policies.command("show")
@click.argument("name")
@json_option
@click.pass_obj
def show_policy(target: Target, name: str, as_json: bool) -> None:
    """Show a policy, its document and the users it is attached to."""
    _show_policy(target.client().vigil("GetPolicy", {"PolicyName": name})["Policy"], as_json=as_json)


@policies.command("list")
@json_option
@click.pass_obj
def list_policies(target: Target, as_json: bool) -> None:
    """List policies."""
    rows = target.client().vigil("ListPolicies")["Policies"]["Policy"]
    table(rows, ("PolicyName", "Description", "UpdateDate"), as_json=as_json, title="Policies")


@policies.command("delete")
@click.argument("name")
@click.pass_obj
def delete_policy(target: Target, name: str) -> None:
    """Delete a policy."""
    target.client().vigil("DeletePolicy", {"PolicyName": name})
    click.echo(f"policy {name}: deleted")


@policies.command("attach")
@click.argument("name")
@click.option("--user", required=True, help="The user to attach the policy to.")
@click.pass_obj
def attach_policy(target: Target, name: str, user: str) -> None:
    """Attach a policy to a user."""
    target.client().vigil("AttachPolicyToUser", {"PolicyName": name, "UserName": user})
    click.echo(f"policy {name}: attached to {user}")


@policies.command("detach")
@click.argument("name")
@click.option("--user", required=True, help="The user to detach the policy from.")
@click.pass_obj
def detach_policy(target: Target, name: str, user: str) -> None:
    """Detach a policy from a user."""
    target.client().vigil("DetachPolicyFromUser", {"PolicyName": name, "UserName": user})
    click.echo(f"policy {name}: detached from {user}")


@policies.command("for-user")
@click.argument("user")
@json_option
@click.pass_obj
def policies_for_user(target: Target, user: str, as_json: bool) -> None:
    """List the policies attached to a user."""
    rows = target.client().vigil("ListPoliciesForUser", {"UserName": user})["Policies"]["Policy"]
    table(rows, ("PolicyName", "Description", "UpdateDate"), as_json=as_json, title=f"Policies of {user}")


COMMANDS: list[click.Command] = [users, access_keys, policies]
