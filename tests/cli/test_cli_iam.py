"""``vigil users``, ``access-keys`` and ``policies`` against a real server, and what a user may then do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import ROOT_AK, RunningServer

ALLOW_KMS_BUT_ENCRYPT = json.dumps(
    {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"},
        ],
    }
)
ALLOW_DESCRIBE = json.dumps(
    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}
)


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


def _user_with_key(vigil: Cli, name: str) -> Cli:
    vigil.ok("users", "create", name)
    key = vigil.json("access-keys", "create", "--user", name)
    return vigil.as_user(key["AccessKeyId"], key["AccessKeySecret"])


def test_users_are_created_listed_shown_and_deleted(vigil: Cli) -> None:
    created = vigil.json("users", "create", "alice", "--display-name", "Alice A", "--comments", "oncall")
    assert (created["UserName"], created["DisplayName"], created["Comments"]) == (
        "alice",
        "Alice A",
        "oncall",
    )
    assert [u["UserName"] for u in vigil.json("users", "list")] == ["alice"]
    assert "alice" in vigil.ok("users", "list")
    assert vigil.json("users", "show", "alice")["UserId"] == created["UserId"]
    vigil.ok("users", "delete", "alice")
    assert vigil.json("users", "list") == []
    assert vigil.fails("users", "show", "alice").stderr.startswith("Error: ")


def test_access_key_secret_is_printed_once_with_a_warning(vigil: Cli) -> None:
    vigil.ok("users", "create", "bob")
    result = vigil.run("access-keys", "create", "--user", "bob")
    assert result.exit_code == 0, result.output
    assert "AccessKeySecret" in result.stdout
    assert "will not be shown again" in result.stderr
    [listed] = vigil.json("access-keys", "list", "--user", "bob")
    assert listed["UserName"] == "bob" and listed["Status"] == "Active"
    assert "AccessKeySecret" not in listed
    assert ROOT_AK in [k["AccessKeyId"] for k in vigil.json("access-keys", "list")]


def test_disabled_access_key_is_refused_until_enabled_and_gone_when_deleted(vigil: Cli) -> None:
    carol = _user_with_key(vigil, "carol")
    vigil.ok("policies", "create", "describe", "--document", ALLOW_DESCRIBE)
    vigil.ok("policies", "attach", "describe", "--user", "carol")
    key_id = vigil.new_key()
    assert carol.json("keys", "describe", key_id)["KeyId"] == key_id
    vigil.ok("access-keys", "disable", carol.access_key_id)
    assert carol.fails("keys", "describe", key_id).stderr.startswith("Error: InvalidAccessKeyId")
    vigil.ok("access-keys", "enable", carol.access_key_id)
    assert carol.json("keys", "describe", key_id)["KeyId"] == key_id
    vigil.ok("access-keys", "delete", carol.access_key_id)
    assert vigil.json("access-keys", "list", "--user", "carol") == []
    assert carol.fails("keys", "describe", key_id).stderr.startswith("Error: InvalidAccessKeyId")


def test_a_policy_that_denies_encrypt_gives_a_forbidden_ram_error(vigil: Cli) -> None:
    dave = _user_with_key(vigil, "dave")
    vigil.ok("policies", "create", "no-encrypt", "--document", ALLOW_KMS_BUT_ENCRYPT)
    vigil.ok("policies", "attach", "no-encrypt", "--user", "dave")
    key_id = vigil.new_key()
    refused = dave.fails("encrypt", "--key-id", key_id, "--plaintext", "hi")
    assert refused.stderr.startswith("Error: Forbidden.RAM: ")
    assert refused.stderr.count("\n") == 1
    assert refused.stdout == ""
    blob = vigil.ok("encrypt", "--key-id", key_id, "--plaintext", "hi").strip()
    assert dave.ok("decrypt", "--ciphertext", blob) == "hi\n"


def test_a_user_without_policies_may_do_nothing(vigil: Cli) -> None:
    erin = _user_with_key(vigil, "erin")
    assert erin.fails("keys", "create").stderr.startswith("Error: Forbidden.RAM: ")
    assert erin.fails("users", "list").stderr.startswith("Error: Forbidden.RAM: ")
    assert erin.fails("keys", "list").stderr.startswith("Error: Forbidden.RAM: ")
    assert erin.fails("clock", "advance", "60").stderr.startswith("Error: Forbidden.RAM: ")


def test_policies_are_created_updated_attached_and_deleted(vigil: Cli, tmp_path: Path) -> None:
    vigil.ok("users", "create", "frank")
    (tmp_path / "policy.json").write_text(ALLOW_DESCRIBE)
    created = vigil.json("policies", "create", "readers", "--file", str(tmp_path / "policy.json"))
    assert created["PolicyName"] == "readers"
    vigil.ok("policies", "update", "readers", "--document", ALLOW_KMS_BUT_ENCRYPT, "--description", "wider")
    shown = vigil.json("policies", "show", "readers")
    assert json.loads(shown["PolicyDocument"]) == json.loads(ALLOW_KMS_BUT_ENCRYPT)
    assert shown["Description"] == "wider"
    assert [p["PolicyName"] for p in vigil.json("policies", "list")] == ["readers"]
    vigil.ok("policies", "attach", "readers", "--user", "frank")
    assert [p["PolicyName"] for p in vigil.json("policies", "for-user", "frank")] == ["readers"]
    assert "frank" in vigil.ok("policies", "show", "readers")
    vigil.ok("policies", "detach", "readers", "--user", "frank")
    assert vigil.json("policies", "for-user", "frank") == []
    vigil.ok("policies", "delete", "readers")
    assert vigil.json("policies", "list") == []


def test_bad_policy_documents_are_refused_clearly(vigil: Cli) -> None:
    not_json = vigil.fails("policies", "create", "p", "--document", "{oops", code=2)
    assert "not valid JSON" in not_json.stderr
    neither = vigil.fails("policies", "create", "p", code=2)
    assert "give exactly one of --document or --file" in neither.stderr
    malformed = vigil.fails("policies", "create", "p", "--document", '{"Version": "1"}')
    assert malformed.stderr.startswith("Error: MalformedPolicyDocument: ")
