"""Settings are read from a mapping, validated with errors naming the variable, and never show secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.settings import Secret, Settings, SettingsError

GOOD = {
    "VIGIL_ROOT_ACCESS_KEY_ID": "LTAIabcdefgh12345678",
    "VIGIL_ROOT_ACCESS_KEY_SECRET": "super-secret-value-123",
    "VIGIL_DATABASE_URL": "postgresql://vigil:db-password-xyz@127.0.0.1/vigil",
    "VIGIL_REGION": "cn-shanghai",
    "VIGIL_PROJECT_ID": "0123456789abcdef0123456789abcdef",
}


def test_settings_come_from_the_mapping_and_flags_win() -> None:
    settings = Settings.from_env(GOOD, port=9999, data_dir=Path("/tmp/x")).validate()
    assert settings.port == 9999
    assert settings.data_dir == Path("/tmp/x")
    assert settings.region == "cn-shanghai"
    assert settings.root_access_key_secret == Secret("super-secret-value-123")


def test_no_secret_appears_when_settings_are_printed() -> None:
    text = repr(Settings.from_env(GOOD)) + str(Settings.from_env(GOOD))
    assert "super-secret-value-123" not in text
    assert "db-password-xyz" not in text
    assert "**********" in text


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"VIGIL_REGION": "Bad Region"}, "VIGIL_REGION"),
        ({"VIGIL_PROJECT_ID": "xyz"}, "VIGIL_PROJECT_ID"),
        ({"VIGIL_ROOT_ACCESS_KEY_ID": "LTAIabcdefgh12345678"}, "VIGIL_ROOT_ACCESS_KEY_SECRET"),
        (
            {"VIGIL_ROOT_ACCESS_KEY_ID": "a!", "VIGIL_ROOT_ACCESS_KEY_SECRET": "x" * 20},
            "VIGIL_ROOT_ACCESS_KEY_ID",
        ),
        (
            {"VIGIL_ROOT_ACCESS_KEY_ID": "LTAIabcdefgh", "VIGIL_ROOT_ACCESS_KEY_SECRET": "short"},
            "VIGIL_ROOT_ACCESS_KEY_SECRET",
        ),
        ({"VIGIL_DATABASE_URL": "mysql://x"}, "VIGIL_DATABASE_URL"),
        ({"VIGIL_AUDIT": "sometimes"}, "VIGIL_AUDIT"),
        ({"VIGIL_AUDIT_LOG_FULL": "drop-everything"}, "VIGIL_AUDIT_LOG_FULL"),
        ({"VIGIL_AUDIT_LOG_QUOTA_BYTES": "0"}, "VIGIL_AUDIT_LOG_QUOTA_BYTES"),
    ],
    ids=[
        "region",
        "project",
        "key-without-secret",
        "bad-key-id",
        "short-secret",
        "not-postgres",
        "audit-switch",
        "log-full-action",
        "log-quota",
    ],
)
def test_validation_names_the_variable_that_is_wrong(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env).validate()


def test_empty_variables_count_as_unset() -> None:
    assert Settings.from_env({"VIGIL_REGION": ""}).validate().region is None


def test_audit_is_on_and_a_full_log_store_stops_logging_unless_told_otherwise() -> None:
    default = Settings.from_env({}).validate()
    assert (default.audit_enabled, default.audit_log_full, default.audit_log_quota_bytes) == (
        True,
        "stop-logging",
        None,
    )
    chosen = Settings.from_env(
        {
            "VIGIL_AUDIT": "off",
            "VIGIL_AUDIT_LOG_FULL": "reject-requests",
            "VIGIL_AUDIT_LOG_QUOTA_BYTES": "4096",
        }
    ).validate()
    assert (chosen.audit_enabled, chosen.audit_log_full, chosen.audit_log_quota_bytes) == (
        False,
        "reject-requests",
        4096,
    )
