"""``vigil secrets`` and ``vigil webhooks`` against a real server: values, versions, stages, deletion
windows, webhook rotation and its history, consumers, tags and the webhook signing key."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.cli_harness import Cli
from tests.conftest import RunningServer
from vigil.cli.main import cli
from vigil.testing import LocalReceiver, Reply
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

VALUE = "s3cr3t-value-1"


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


@pytest.fixture
def hook() -> Iterator[LocalReceiver]:
    """A rotation webhook that answers every step with 200 unless a test scripts otherwise."""
    with LocalReceiver() as receiver:
        yield receiver


def webhook_secret(vigil: Cli, name: str, hook: LocalReceiver) -> None:
    config = json.dumps({"RotationWebhook": hook.url})
    vigil.ok("secrets", "create", name, "--value", VALUE, "--extended-config", config)


# -- values --------------------------------------------------------------------------------------


def test_create_shows_metadata_and_only_get_prints_the_value(vigil: Cli) -> None:
    created = vigil.run(
        "secrets", "create", "db/app", "--value", VALUE, "--description", "app db", "--tag", "env=prod"
    )
    assert created.exit_code == 0, created.output
    assert VALUE not in created.output and "db/app" in created.stdout
    assert vigil.ok("secrets", "get", "db/app") == VALUE + "\n"
    described = vigil.json("secrets", "describe", "db/app")
    assert (described["SecretName"], described["Description"], described["SecretType"]) == (
        "db/app",
        "app db",
        "Generic",
    )
    assert described["Tags"] == {"Tag": [{"TagKey": "env", "TagValue": "prod"}]}
    assert "env=prod" in vigil.ok("secrets", "describe", "db/app")
    for args in (["describe", "db/app"], ["versions", "db/app"], ["list"], ["history", "db/app"]):
        assert VALUE not in vigil.run("secrets", *args).output, args


def test_get_json_carries_the_value_and_its_version(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "api/token", "--value", VALUE, "--version-id", "first")
    body = vigil.json("secrets", "get", "api/token")
    assert (body["SecretData"], body["VersionId"], body["SecretDataType"]) == (VALUE, "first", "text")
    assert body["VersionStages"] == {"VersionStage": ["ACSCurrent"]}
    assert "RequestId" not in body


def test_put_makes_a_new_current_version_and_keeps_the_old_one_previous(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "svc", "--value", VALUE)
    out = vigil.ok("secrets", "put", "svc", "--value", "value-2", "--version-id", "v2")
    assert out.strip() == "svc: stored version v2 (ACSCurrent)"
    assert vigil.ok("secrets", "get", "svc").strip() == "value-2"
    assert vigil.ok("secrets", "get", "svc", "--stage", "ACSPrevious").strip() == VALUE
    assert vigil.ok("secrets", "get", "svc", "--version-id", "v1").strip() == VALUE
    stages = {
        v["VersionId"]: v["VersionStages"]["VersionStage"] for v in vigil.json("secrets", "versions", "svc")
    }
    assert stages == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    table = vigil.ok("secrets", "versions", "svc")
    assert "VersionId" in table and "ACSPrevious" in table and "value-2" not in table


def test_put_with_a_stage_leaves_the_current_version_alone(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "staged", "--value", VALUE)
    vigil.ok("secrets", "put", "staged", "--value", "next", "--version-id", "v2", "--stage", "Canary")
    assert vigil.ok("secrets", "get", "staged").strip() == VALUE
    assert vigil.ok("secrets", "get", "staged", "--stage", "Canary").strip() == "next"


def test_stage_moves_current_back_to_an_older_version(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "rollback", "--value", VALUE)
    vigil.ok("secrets", "put", "rollback", "--value", "bad", "--version-id", "v2")
    out = vigil.ok("secrets", "stage", "rollback", "ACSCurrent", "--to", "v1", "--from", "v2")
    assert out.strip() == "rollback: ACSCurrent moved to v1"
    assert vigil.ok("secrets", "get", "rollback").strip() == VALUE
    assert "give --to VERSION" in vigil.fails("secrets", "stage", "rollback", "ACSCurrent", code=2).stderr


def test_stdin_and_file_values_are_stored_exactly(vigil: Cli, tmp_path: Path) -> None:
    vigil.ok("secrets", "create", "piped", "--stdin", input="from stdin\n")
    out = tmp_path / "piped.txt"
    vigil.ok("secrets", "get", "piped", "--out", str(out))
    assert out.read_bytes() == b"from stdin\n"
    source = tmp_path / "in.txt"
    source.write_text("über\n")
    vigil.ok("secrets", "put", "piped", "--file", str(source), "--version-id", "v2")
    assert vigil.json("secrets", "get", "piped")["SecretData"] == "über\n"


def test_binary_values_round_trip_through_file_and_out(vigil: Cli, tmp_path: Path) -> None:
    blob = bytes(range(256))
    source = tmp_path / "blob.bin"
    source.write_bytes(blob)
    vigil.ok("secrets", "create", "blob", "--file", str(source), "--binary")
    assert vigil.ok("secrets", "get", "blob").strip() == base64.b64encode(blob).decode()
    assert vigil.json("secrets", "get", "blob")["SecretDataType"] == "binary"
    out = tmp_path / "out.bin"
    result = vigil.run("secrets", "get", "blob", "--out", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert "wrote version v1 (256 bytes)" in result.stderr
    assert out.read_bytes() == blob
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert vigil.run("secrets", "get", "blob", "--out", "-").stdout_bytes == blob
    meta = vigil.json("secrets", "get", "blob", "--out", str(tmp_path / "again.bin"))
    assert "SecretData" not in meta and meta["VersionId"] == "v1"


def test_a_text_value_must_be_utf8_and_come_from_exactly_one_source(vigil: Cli, tmp_path: Path) -> None:
    source = tmp_path / "raw.bin"
    source.write_bytes(b"\xff\xfe")
    refused = vigil.fails("secrets", "create", "raw", "--file", str(source), code=2)
    assert "not UTF-8 text; add --binary" in refused.stderr
    both = vigil.fails("secrets", "create", "raw", "--value", "x", "--file", str(source), code=2)
    assert "give exactly one of --value or --file or --stdin" in both.stderr
    assert "give exactly one" in vigil.fails("secrets", "create", "raw", code=2).stderr
    bad = vigil.fails("secrets", "create", "raw", "--value", "x", "--extended-config", "[1]", code=2)
    assert "must be a JSON object" in bad.stderr
    broken = vigil.fails("secrets", "create", "raw", "--value", "x", "--extended-config", "{bad", code=2)
    assert "not valid JSON" in broken.stderr and "line 1" in broken.stderr


def test_unknown_secret_is_one_clear_error_line(vigil: Cli) -> None:
    result = vigil.fails("secrets", "get", "nope")
    assert result.stderr.startswith("Error: Forbidden.ResourceNotFound:")
    assert result.stderr.count("\n") == 1 and result.stdout == ""


# -- listing and changing ----------------------------------------------------------------------


def test_list_filters_by_name_and_type_and_pages(vigil: Cli) -> None:
    for name in ("prod/db", "prod/cache", "dev/db"):
        vigil.ok("secrets", "create", name, "--value", VALUE)
    assert [s["SecretName"] for s in vigil.json("secrets", "list", "--name-contains", "prod/")] == [
        "prod/cache",
        "prod/db",
    ]
    assert len(vigil.json("secrets", "list", "--type", "Generic")) == 3
    assert vigil.json("secrets", "list", "--type", "Rds") == []
    paged = vigil.run("secrets", "list", "--page-size", "2")
    assert "showing 2 of 3 secrets" in paged.stderr and "SecretName" in paged.stdout
    assert len(vigil.json("secrets", "list", "--page", "2", "--page-size", "2")) == 1
    assert {s["SecretName"] for s in vigil.json("secrets", "list", "--all")} == {
        "prod/db",
        "prod/cache",
        "dev/db",
    }
    assert "--all cannot be combined" in vigil.fails("secrets", "list", "--all", "--page", "2", code=2).stderr


def test_update_changes_the_description_and_custom_data(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "tuned", "--value", VALUE, "--description", "old")
    assert vigil.ok(
        "secrets", "update", "tuned", "--description", "new", "--custom", "owner=ops"
    ).strip() == ("tuned: updated")
    described = vigil.json("secrets", "describe", "tuned")
    assert described["Description"] == "new"
    assert json.loads(described["ExtendedConfig"])["CustomData"] == {"owner": "ops"}
    assert "give --description or --custom" in vigil.fails("secrets", "update", "tuned", code=2).stderr


def test_tag_untag_and_list_tags(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "tagged", "--value", VALUE)
    vigil.ok("secrets", "tag", "tagged", "env=prod", "team=payments")
    assert vigil.json("secrets", "tags", "tagged") == [
        {"TagKey": "env", "TagValue": "prod"},
        {"TagKey": "team", "TagValue": "payments"},
    ]
    vigil.ok("secrets", "untag", "tagged", "env")
    assert [t["TagKey"] for t in vigil.json("secrets", "tags", "tagged")] == ["team"]


# -- deletion windows ----------------------------------------------------------------------------


def test_delete_and_restore_within_the_recovery_window(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "undo", "--value", VALUE)
    out = vigil.ok("secrets", "delete", "undo", "--recovery-days", "7")
    assert out.startswith("undo: will be destroyed at ") and "vigil secrets restore undo" in out
    assert vigil.json("secrets", "describe", "undo")["PlannedDeleteTime"]
    refused = vigil.fails("secrets", "get", "undo")
    assert refused.stderr.startswith("Error: Rejected.SecretPendingDeletion:")
    assert vigil.ok("secrets", "restore", "undo").strip() == "undo: restored"
    assert vigil.ok("secrets", "get", "undo").strip() == VALUE
    assert vigil.json("secrets", "describe", "undo")["PlannedDeleteTime"] == ""


def test_secret_is_destroyed_once_the_clock_passes_its_window(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "doomed", "--value", VALUE)
    planned = vigil.json("secrets", "delete", "doomed", "--recovery-days", "7")["PlannedDeleteTime"]
    vigil.ok("clock", "advance", "--days", "6")
    assert vigil.json("secrets", "describe", "doomed")["PlannedDeleteTime"] == planned
    vigil.ok("clock", "advance", "--days", "2")
    gone = vigil.fails("secrets", "describe", "doomed")
    assert gone.stderr.startswith("Error: Forbidden.ResourceNotFound:")
    assert vigil.json("secrets", "list") == []
    assert vigil.fails("secrets", "restore", "doomed").stderr.startswith("Error: Forbidden.ResourceNotFound:")


def test_force_delete_destroys_at_once(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "gone", "--value", VALUE)
    assert (
        vigil.ok("secrets", "delete", "gone", "--force").strip() == "gone: destroyed; it cannot be restored"
    )
    assert vigil.fails("secrets", "get", "gone").stderr.startswith("Error: Forbidden.ResourceNotFound:")
    mixed = vigil.fails("secrets", "delete", "gone", "--force", "--recovery-days", "7", code=2)
    assert "--force cannot be combined" in mixed.stderr


# -- rotation ------------------------------------------------------------------------------------


def test_rotate_through_a_webhook_makes_the_new_value_current_and_history_shows_success(
    vigil: Cli, hook: LocalReceiver
) -> None:
    hook.push(Reply(200, {"SecretData": "rotated-by-hook"}))
    webhook_secret(vigil, "app/token", hook)
    result = vigil.run("secrets", "rotate", "app/token", "--version-id", "v2")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "app/token: rotated; v2 is now ACSCurrent"
    assert "rotated-by-hook" not in result.output
    assert [r.json()["Step"] for r in hook.requests] == [
        "createSecret",
        "setSecret",
        "testSecret",
        "finishSecret",
    ]
    assert vigil.ok("secrets", "get", "app/token").strip() == "rotated-by-hook"
    assert vigil.ok("secrets", "get", "app/token", "--stage", "ACSPrevious").strip() == VALUE
    [record] = vigil.json("secrets", "history", "app/token")
    assert (record["Status"], record["Trigger"], record["VersionId"], record["ErrorCode"]) == (
        "Success",
        "Manual",
        "v2",
        "",
    )
    table = vigil.ok("secrets", "history", "app/token")
    assert "Success" in table and "Manual" in table and "rotated-by-hook" not in table


def test_a_failed_rotation_exits_1_with_its_code_and_keeps_the_old_value(
    vigil: Cli, hook: LocalReceiver
) -> None:
    hook.push(Reply(200, {"SecretData": "never-promoted"}), Reply(500))
    webhook_secret(vigil, "fragile", hook)
    failed = vigil.fails("secrets", "rotate", "fragile", "--version-id", "v2")
    assert failed.stderr.startswith("Error: Webhook.StepFailed:") and "setSecret" in failed.stderr
    assert failed.stderr.count("\n") == 1
    assert "never-promoted" not in failed.output
    assert len(hook.requests) == 2  # later steps are not called
    assert vigil.ok("secrets", "get", "fragile").strip() == VALUE
    assert [v["VersionId"] for v in vigil.json("secrets", "versions", "fragile", "--include-deprecated")] == [
        "v1"
    ]
    [record] = vigil.json("secrets", "history", "fragile")
    assert (record["Status"], record["ErrorCode"]) == ("Failure", "Webhook.StepFailed")
    assert "setSecret" in record["ErrorMessage"] and "never-promoted" not in record["ErrorMessage"]
    table = vigil.ok("secrets", "history", "fragile")
    assert "Failure" in table and "Webhook.StepFailed:" in table


def test_history_without_a_name_covers_every_secret(vigil: Cli, hook: LocalReceiver) -> None:
    webhook_secret(vigil, "one", hook)
    webhook_secret(vigil, "two", hook)
    vigil.ok("secrets", "rotate", "one")
    vigil.ok("secrets", "rotate", "two")
    assert {r["SecretName"] for r in vigil.json("secrets", "history")} == {"one", "two"}
    everything = vigil.ok("secrets", "history")
    assert "Secret " in everything and "one" in everything and "two" in everything


def test_a_secret_without_a_rotator_cannot_rotate(vigil: Cli) -> None:
    vigil.ok("secrets", "create", "static", "--value", VALUE)
    refused = vigil.fails("secrets", "rotate", "static")
    assert refused.stderr.startswith("Error: Rejected.UnsupportedOperation:")
    policy = vigil.fails("secrets", "rotation-policy", "static", "--enable", "--interval", "30d")
    assert policy.stderr.startswith("Error: Rejected.UnsupportedOperation:")


def test_rotation_policy_and_create_turn_automatic_rotation_on_and_off(
    vigil: Cli, hook: LocalReceiver
) -> None:
    webhook_secret(vigil, "auto", hook)
    out = vigil.ok("secrets", "rotation-policy", "auto", "--enable", "--interval", "30d")
    assert out.strip() == "auto: automatic rotation on every 30d"
    described = vigil.json("secrets", "describe", "auto")
    assert (described["AutomaticRotation"], described["RotationInterval"]) == ("Enabled", "2592000s")
    assert described["NextRotationDate"]
    vigil.ok("secrets", "rotation-policy", "auto", "--disable")
    assert vigil.json("secrets", "describe", "auto")["AutomaticRotation"] == "Disabled"
    config = json.dumps({"RotationWebhook": hook.url})
    created = vigil.json(
        "secrets", "create", "born-auto", "--value", VALUE, "--extended-config", config,
        "--rotation-interval", "7d", "--auto-rotate",
    )  # fmt: skip
    assert (created["AutomaticRotation"], created["RotationInterval"]) == ("Enabled", "604800s")


def test_extended_config_can_come_from_a_file(vigil: Cli, hook: LocalReceiver, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"RotationWebhook": hook.url}))
    vigil.ok("secrets", "create", "from-file", "--value", VALUE, "--extended-config-file", str(config))
    described = vigil.json("secrets", "describe", "from-file")
    assert json.loads(described["ExtendedConfig"])["RotationWebhook"] == hook.url


# -- consumers and webhooks ----------------------------------------------------------------------


def test_consumers_add_list_remove_and_their_notices(vigil: Cli, hook: LocalReceiver) -> None:
    webhook_secret(vigil, "shared", hook)
    with LocalReceiver() as consumer:
        assert vigil.ok(
            "secrets", "consumers", "add", "shared", "billing", "--url", consumer.url
        ).strip() == (f"shared: consumer billing -> {consumer.url}")
        vigil.ok("secrets", "consumers", "add", "shared", "audit", "--url", "https://audit.example/h")
        listed = vigil.json("secrets", "consumers", "list", "shared")
        assert [(c["ConsumerName"], c["WebhookUrl"]) for c in listed] == [
            ("audit", "https://audit.example/h"),
            ("billing", consumer.url),
        ]
        vigil.ok("secrets", "consumers", "remove", "shared", "audit")
        assert [c["ConsumerName"] for c in vigil.json("secrets", "consumers", "list", "shared")] == [
            "billing"
        ]
        vigil.ok("secrets", "rotate", "shared", "--version-id", "v2")
        vigil.ok("clock", "advance", "1")
        [notice] = consumer.wait_for(1)
        assert notice.json()["VersionId"] == "v2"
    [row] = vigil.json("secrets", "consumers", "notices", "shared")
    assert (row["ConsumerName"], row["VersionId"], row["Status"], row["Attempts"]) == (
        "billing",
        "v2",
        "Success",
        1,
    )
    assert "Success" in vigil.ok("secrets", "consumers", "notices", "shared")
    bad = vigil.fails("secrets", "consumers", "add", "shared", "x", "--url", "ftp://x")
    assert bad.stderr.startswith("Error: InvalidParameter:")


def test_signing_key_verifies_the_signature_of_a_real_webhook(vigil: Cli, hook: LocalReceiver) -> None:
    result = vigil.run("webhooks", "signing-key")
    assert result.exit_code == 0, result.output
    key = base64.b64decode(result.stdout.strip(), validate=True)
    assert len(key) == 32
    assert "X-Vigil-Signature" in result.stderr and "HMAC-SHA256" in result.stderr
    body = vigil.json("webhooks", "signing-key")
    assert (body["SigningKey"], body["Algorithm"]) == (result.stdout.strip(), "HMAC-SHA256")
    webhook_secret(vigil, "signed", hook)
    vigil.ok("secrets", "rotate", "signed")
    request = hook.requests[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert verify(key, headers[TIMESTAMP_HEADER.lower()], request.body, headers[SIGNATURE_HEADER.lower()])
    assert not verify(
        b"\0" * 32, headers[TIMESTAMP_HEADER.lower()], request.body, headers[SIGNATURE_HEADER.lower()]
    )


# -- surface ---------------------------------------------------------------------------------------


def test_help_lists_secrets_and_webhooks_commands() -> None:
    top = CliRunner().invoke(cli, ["--help"]).output
    assert "secrets" in top and "webhooks" in top
    secrets_help = CliRunner().invoke(cli, ["secrets", "--help"]).output
    for sub in (
        "create",
        "get",
        "put",
        "versions",
        "stage",
        "rotate",
        "history",
        "delete",
        "restore",
        "consumers",
    ):
        assert sub in secrets_help


def test_every_secrets_json_output_parses(vigil: Cli, hook: LocalReceiver) -> None:
    webhook_secret(vigil, "j", hook)
    vigil.ok("secrets", "consumers", "add", "j", "c", "--url", "http://127.0.0.1:9/hook")
    for args in (
        ["secrets", "create", "k", "--value", VALUE],
        ["secrets", "get", "j"],
        ["secrets", "put", "j", "--value", "v", "--version-id", "v2"],
        ["secrets", "describe", "j"],
        ["secrets", "list"],
        ["secrets", "versions", "j"],
        ["secrets", "rotate", "j"],
        ["secrets", "history", "j"],
        ["secrets", "tags", "j"],
        ["secrets", "consumers", "list", "j"],
        ["secrets", "consumers", "notices", "j"],
        ["secrets", "delete", "k"],
        ["webhooks", "signing-key"],
    ):
        assert isinstance(vigil.json(*args), (dict, list)), args
