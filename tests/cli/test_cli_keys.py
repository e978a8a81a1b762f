"""``vigil keys`` against a real server: lifecycle, deletion windows, versions, aliases, tags, paging."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import RunningServer


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


def test_create_shows_the_metadata_and_describe_finds_it(vigil: Cli) -> None:
    created = vigil.json("keys", "create", "--description", "payments", "--tag", "env=prod")
    described = vigil.json("keys", "describe", created["KeyId"])
    assert described["Description"] == "payments"
    assert described["KeyState"] == "Enabled"
    assert described["KeySpec"] == "Aliyun_AES_256"
    assert vigil.json("keys", "tags", created["KeyId"]) == [
        {"KeyId": created["KeyId"], "TagKey": "env", "TagValue": "prod"}
    ]


def test_list_prints_a_table_of_described_keys(vigil: Cli) -> None:
    key_id = vigil.new_key("--description", "[/b] [i]")  # user text, not rich markup
    out = vigil.ok("keys", "list")
    assert "KeyId" in out and "State" in out and "Description" in out
    assert key_id in out
    assert "[/b] [i]" in out
    [row] = vigil.json("keys", "list")
    assert (row["KeyId"], row["KeyState"], row["KeyUsage"]) == (key_id, "Enabled", "ENCRYPT/DECRYPT")


def test_list_pages_through_keys_or_fetches_all(vigil: Cli) -> None:
    created = {vigil.new_key() for _ in range(12)}
    assert len(vigil.json("keys", "list", "--page-size", "5")) == 5
    assert len(vigil.json("keys", "list", "--page", "3", "--page-size", "5")) == 2
    assert {k["KeyId"] for k in vigil.json("keys", "list", "--all")} == created
    result = vigil.run("keys", "list", "--page-size", "5")
    assert "showing 5 of 12 keys" in result.stderr
    usage = vigil.fails("keys", "list", "--all", "--page", "2", code=2)
    assert "--all cannot be combined" in usage.stderr


def test_disable_enable_and_cancel_deletion_move_the_state(vigil: Cli) -> None:
    key_id = vigil.new_key()
    assert vigil.ok("keys", "disable", key_id).strip() == f"{key_id}: disabled"
    assert vigil.json("keys", "describe", key_id)["KeyState"] == "Disabled"
    vigil.ok("keys", "enable", key_id)
    vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    pending = vigil.json("keys", "describe", key_id)
    assert pending["KeyState"] == "PendingDeletion"
    assert pending["DeleteDate"]
    vigil.ok("keys", "cancel-deletion", key_id)
    assert vigil.json("keys", "describe", key_id)["KeyState"] == "Enabled"


def test_key_is_deleted_once_the_clock_passes_its_window(vigil: Cli) -> None:
    key_id = vigil.new_key()
    vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    vigil.ok("clock", "advance", "--days", "6")
    assert vigil.json("keys", "describe", key_id)["KeyState"] == "PendingDeletion"
    vigil.ok("clock", "advance", "--days", "2")
    assert vigil.json("keys", "describe", key_id)["KeyState"] == "Deleted"
    assert [k["KeyId"] for k in vigil.json("keys", "list", "--state", "Deleted")] == [key_id]
    assert vigil.json("keys", "list") == []
    refused = vigil.fails("encrypt", "--key-id", key_id, "--plaintext", "x")
    assert refused.stderr.startswith("Error: ")


def test_deletion_protection_blocks_scheduling_until_turned_off(vigil: Cli) -> None:
    key_id = vigil.new_key()
    vigil.ok("keys", "protect", key_id, "--on", "--description", "production data")
    described = vigil.json("keys", "describe", key_id)
    assert described["DeletionProtection"] == "Enabled"
    assert described["DeletionProtectionDescription"] == "production data"
    refused = vigil.fails("keys", "schedule-deletion", key_id, "--days", "7")
    assert "Error: Forbidden.DeletionProtection:" in refused.stderr
    vigil.ok("keys", "protect", key_id, "--off")
    vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    assert vigil.json("keys", "describe", key_id)["KeyState"] == "PendingDeletion"


def test_rotate_adds_a_primary_version_and_lists_them_all(vigil: Cli) -> None:
    key_id = vigil.new_key()
    first = vigil.json("keys", "describe", key_id)["PrimaryKeyVersion"]
    rotated = vigil.json("keys", "rotate", key_id)
    assert vigil.json("keys", "describe", key_id)["PrimaryKeyVersion"] == rotated["KeyVersionId"]
    versions = [v["KeyVersionId"] for v in vigil.json("keys", "versions", key_id)]
    assert sorted(versions) == sorted([first, rotated["KeyVersionId"]])
    assert rotated["KeyVersionId"] in vigil.ok("keys", "versions", key_id)


def test_rotation_policy_turns_automatic_rotation_on_and_off(vigil: Cli) -> None:
    key_id = vigil.new_key()
    vigil.ok("keys", "rotation-policy", key_id, "--enable", "--interval", "30d")
    described = vigil.json("keys", "describe", key_id)
    assert (described["AutomaticRotation"], described["RotationInterval"]) == ("Enabled", "2592000s")
    vigil.ok("keys", "rotation-policy", key_id, "--disable")
    assert vigil.json("keys", "describe", key_id)["AutomaticRotation"] == "Disabled"
    bad = vigil.fails("keys", "rotation-policy", key_id, "--enable", "--interval", "1d")
    assert "Error: " in bad.stderr and "7 and 730 days" in bad.stderr


def test_aliases_stand_for_keys_and_can_be_moved_and_deleted(vigil: Cli) -> None:
    first, second = vigil.new_key(), vigil.new_key()
    vigil.ok("keys", "alias", "create", "alias/orders", first)
    assert vigil.json("keys", "describe", "alias/orders")["KeyId"] == first
    vigil.ok("keys", "alias", "update", "alias/orders", second)
    assert [a["KeyId"] for a in vigil.json("keys", "alias", "list")] == [second]
    assert vigil.json("keys", "alias", "list", "--key", first) == []
    assert "alias/orders" in vigil.ok("keys", "alias", "list")
    vigil.ok("keys", "alias", "delete", "alias/orders")
    assert vigil.json("keys", "alias", "list") == []
    missing = vigil.fails("keys", "describe", "alias/orders")
    assert "Error: Forbidden.AliasNotFound:" in missing.stderr


def test_tag_untag_and_list_tags(vigil: Cli) -> None:
    key_id = vigil.new_key()
    vigil.ok("keys", "tag", key_id, "env=prod", "team=payments", "empty=")
    tags = {t["TagKey"]: t["TagValue"] for t in vigil.json("keys", "tags", key_id)}
    assert tags == {"env": "prod", "team": "payments", "empty": ""}
    vigil.ok("keys", "untag", key_id, "env", "empty")
    assert [t["TagKey"] for t in vigil.json("keys", "tags", key_id)] == ["team"]
    bad = vigil.fails("keys", "tag", key_id, "no-equals-sign", code=2)
    assert "is not NAME=VALUE" in bad.stderr


def test_public_key_prints_pem_for_asymmetric_keys_only(vigil: Cli) -> None:
    rsa = vigil.new_key("--spec", "RSA_2048", "--usage", "SIGN/VERIFY")
    pem = vigil.ok("keys", "public-key", rsa)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----") and pem.rstrip().endswith("-----END PUBLIC KEY-----")
    assert vigil.json("keys", "public-key", rsa)["KeyId"] == rsa
    refused = vigil.fails("keys", "public-key", vigil.new_key())
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("Error: ")


def test_unknown_key_is_one_clear_error_line(vigil: Cli) -> None:
    result = vigil.fails("keys", "describe", "key-doesnotexist")
    assert result.stderr.startswith("Error: Forbidden.KeyNotFound:")
    assert result.stdout == ""
