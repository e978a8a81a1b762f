"""Identity administration (Vigil 2026-11-01): ``vigil users``, ``vigil access-keys`` and ``vigil policies``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import IO, Any

import click

from vigil.cli.actions import Stub, sends
from vigil.cli.config import Target
from vigil.cli.options import F, exactly_one, json_option
from vigil.cli.output import console, emit, table
from vigil.client import VIGIL

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
@sends("DeleteUser", {"UserName": "name"}, says="user {name}: deleted", version=VIGIL)
def delete_user() -> None:
    """Delete a user."""


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


@access_keys.command("disable")
@click.argument("access_key_id", metavar="ID")
@sends(
    "UpdateAccessKey",
    {"UserAccessKeyId": "access_key_id"},
    also={"Status": "Inactive"},
    says="{access_key_id}: Inactive",
    version=VIGIL,
)
def disable_access_key() -> None:
    """Make an access key Inactive: requests signed with it are refused."""


@access_keys.command("enable")
@click.argument("access_key_id", metavar="ID")
@sends(
    "UpdateAccessKey",
    {"UserAccessKeyId": "access_key_id"},
    also={"Status": "Active"},
    says="{access_key_id}: Active",
    version=VIGIL,
)
def enable_access_key() -> None:
    """Make an access key Active again."""


@access_keys.command("delete")
@click.argument("access_key_id", metavar="ID")
@sends(
    "DeleteAccessKey", {"UserAccessKeyId": "access_key_id"}, says="{access_key_id}: deleted", version=VIGIL
)
def delete_access_key() -> None:
    """Delete an access key for good."""


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


def _writes_policy(command_name: str, action: str) -> Callable[[Stub], click.Command]:
    """Makes a stub the ``policies COMMAND_NAME`` command: send ACTION with a document, show the policy."""

    def decorate(stub: Stub) -> click.Command:
        @policies.command(command_name)
        @click.argument("name")
        @_document_options
        @json_option
        @click.pass_obj
        @functools.wraps(stub)
        def write(
            target: Target,
            name: str,
            document: str | None,
            doc_file: IO[str] | None,
            description: str | None,
            as_json: bool,
        ) -> None:
            text = _document(document, doc_file)
            params = {"PolicyName": name, "PolicyDocument": text, "Description": description}
            _show_policy(target.client().vigil(action, params)["Policy"], as_json=as_json)

        return write

    return decorate


@_writes_policy("create", "CreatePolicy")
def create_policy() -> None:
    """Create a policy from --document JSON or --file."""


@_writes_policy("update", "UpdatePolicy")
def update_policy() -> None:
    """Replace a policy's document (and description); attached users get it at once."""


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
@sends("DeletePolicy", {"PolicyName": "name"}, says="policy {name}: deleted", version=VIGIL)
def delete_policy() -> None:
    """Delete a policy."""


@policies.command("attach")
@click.argument("name")
@click.option("--user", required=True, help="The user to attach the policy to.")
@sends(
    "AttachPolicyToUser",
    {"PolicyName": "name", "UserName": "user"},
    says="policy {name}: attached to {user}",
    version=VIGIL,
)
def attach_policy() -> None:
    """Attach a policy to a user."""


@policies.command("detach")
@click.argument("name")
@click.option("--user", required=True, help="The user to detach the policy from.")
@sends(
    "DetachPolicyFromUser",
    {"PolicyName": "name", "UserName": "user"},
    says="policy {name}: detached from {user}",
    version=VIGIL,
)
def detach_policy() -> None:
    """Detach a policy from a user."""


@policies.command("for-user")
@click.argument("user")
@json_option
@click.pass_obj
def policies_for_user(target: Target, user: str, as_json: bool) -> None:
    """List the policies attached to a user."""
    rows = target.client().vigil("ListPoliciesForUser", {"UserName": user})["Policies"]["Policy"]
    table(rows, ("PolicyName", "Description", "UpdateDate"), as_json=as_json, title=f"Policies of {user}")


COMMANDS: list[click.Command] = [users, access_keys, policies]
