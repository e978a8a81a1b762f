"""The secret service on both storage backends: versions, stages, deletion windows, expiry, the rotation ledger."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServer
from vigil.errors import InvalidArgument
from vigil.secrets.model import RotationInProgress, SecretExists, SecretNotFound, SecretPendingDeletion
from vigil.secrets.service import NewSecret


def _account(server: RunningServer) -> str:
    return server.account_id


def test_a_new_secret_is_current_and_reads_back(server: RunningServer) -> None:
    secrets = server.app.services.secrets
    _secret, version = secrets.create_secret(
        _account(server), NewSecret("db/pass", b"s3cret", version_id="v1")
    )
    assert version.stages == ("ACSCurrent",)
    value = secrets.get_secret_value(_account(server), "db/pass")
    assert value.data == b"s3cret" and value.version.version_id == "v1"
    assert "s3cret" not in repr(value)
    with pytest.raises(SecretExists):
        secrets.create_secret(_account(server), NewSecret("db/pass", b"other"))


def test_putting_a_value_demotes_the_old_current_to_previous(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one", version_id="v1"))
    secrets.put_secret_value(acct, "s", b"two", version_id="v2")
    secrets.put_secret_value(acct, "s", b"three", version_id="v3")
    assert secrets.stages(acct, "s") == {"ACSCurrent": "v3", "ACSPrevious": "v2"}
    assert secrets.get_secret_value(acct, "s", stage="ACSPrevious").data == b"two"
    assert secrets.get_secret_value(acct, "s", version_id="v1").data == b"one"
    assert [v.version_id for v in secrets.list_secret_versions(acct, "s", include_deprecated=False)] == [
        "v2",
        "v3",
    ]


def test_moving_current_needs_the_version_that_holds_it(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one", version_id="v1"))
    secrets.put_secret_value(acct, "s", b"two", version_id="v2", stages=["Custom"])
    with pytest.raises(InvalidArgument, match="RemoveFromVersion"):
        secrets.update_secret_version_stage(acct, "s", "ACSCurrent", "v2", None)
    stages = secrets.update_secret_version_stage(acct, "s", "ACSCurrent", "v2", "v1")
    assert stages["ACSCurrent"] == "v2" and stages["ACSPrevious"] == "v1"
    assert secrets.get_secret_value(acct, "s").data == b"two"


def test_a_deleted_secret_can_be_restored_until_the_window_ends(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one"))
    secrets.delete_secret(acct, "s", 7, force=False)
    with pytest.raises(SecretPendingDeletion):
        secrets.get_secret_value(acct, "s")
    secrets.restore_secret(acct, "s")
    assert secrets.get_secret_value(acct, "s").data == b"one"
    secrets.delete_secret(acct, "s", 7, force=False)
    server.advance(6 * 86400)
    assert secrets.describe_secret(acct, "s").planned_delete_at is not None
    server.advance(86400 + 1)
    with pytest.raises(SecretNotFound):
        secrets.describe_secret(acct, "s")


def test_force_delete_destroys_at_once_and_windows_are_bounded(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one"))
    with pytest.raises(InvalidArgument, match="RecoveryWindowInDays"):
        secrets.delete_secret(acct, "s", 31, force=False)
    secrets.delete_secret(acct, "s", None, force=True)
    with pytest.raises(SecretNotFound):
        secrets.get_secret_value(acct, "s")


def test_an_expired_version_is_recorded_once(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    now = server.app.services.clock.now_ms()
    secrets.create_secret(acct, NewSecret("s", b"one", expire_at=now + 3_600_000))
    assert secrets.record_expired_versions() == []
    server.advance(3601)
    assert secrets.record_expired_versions() == []  # the job already recorded it during AdvanceClock
    history = server.app.services.db
    with history.transaction(write=False) as tx:
        row = tx.one("SELECT expired_recorded_at FROM secret_versions WHERE secret_name = 's'")
    assert row is not None and row["expired_recorded_at"] is not None


def test_a_second_rotation_is_refused_while_one_runs(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one"))
    ticket = secrets.begin_rotation(acct, "s", "Manual", None)
    with pytest.raises(RotationInProgress):
        secrets.begin_rotation(acct, "s", "Manual", None)
    secrets.stage_pending(ticket, b"two")
    assert secrets.get_secret_value(acct, "s").data == b"one"
    assert secrets.get_secret_value(acct, "s", stage="ACSPending").data == b"two"
    secrets.finish_rotation(ticket)
    assert secrets.get_secret_value(acct, "s").data == b"two"
    assert secrets.stages(acct, "s") == {"ACSCurrent": ticket.pending_version_id, "ACSPrevious": "v1"}
    assert secrets.rotation_history(acct, "s")[0]["status"] == "Success"


def test_a_failed_rotation_leaves_current_and_records_why(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    secrets.create_secret(acct, NewSecret("s", b"one"))
    ticket = secrets.begin_rotation(acct, "s", "Manual", None)
    secrets.stage_pending(ticket, b"two")
    secrets.fail_rotation(ticket, "Rds.ConnectionFailed", "cannot reach 127.0.0.1:1")
    assert secrets.stages(acct, "s") == {"ACSCurrent": "v1"}
    record = secrets.rotation_history(acct, "s")[0]
    assert (record["status"], record["error_code"]) == ("Failure", "Rds.ConnectionFailed")
    secrets.begin_rotation(acct, "s", "Manual", None)  # the lock was released


def test_a_disabled_encryption_key_makes_the_secret_unreadable(server: RunningServer) -> None:
    services, acct = server.app.services, _account(server)
    key = server.client().call("CreateKey", {})["KeyMetadata"]["KeyId"]
    services.secrets.create_secret(acct, NewSecret("s", b"one", encryption_key_id=key))
    server.client().call("DisableKey", {"KeyId": key})
    with pytest.raises(Exception, match="disabled"):
        services.secrets.get_secret_value(acct, "s")


def test_name_filters_treat_like_wildcards_literally(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, _account(server)
    for name in ("a_b", "axb", "abb"):
        secrets.create_secret(acct, NewSecret(name, b"v"))
    found, total = secrets.list_secrets(acct, {"secret_name_like": ["a_b"]}, 1, 10)
    assert [s.name for s in found] == ["a_b"] and total == 1
    found, _ = secrets.list_secrets(acct, {"secret_name_like": ["%"]}, 1, 10)
    assert found == []
