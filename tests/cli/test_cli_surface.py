"""The CLI's surface: help, credentials, unreachable servers, the test clock, and real subprocess runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.cli_harness import Cli
from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer, ServerFactory
from vigil.cli.main import cli

NOUNS = [
    "keys", "encrypt", "decrypt", "data-key", "sign", "verify", "random-password",
    "users", "access-keys", "policies", "clock", "secrets", "webhooks", "events", "audit",
]  # fmt: skip


def _vigil(*args: str, env_home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m vigil ARGS`` with nothing but PATH and the given variables in its environment."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(env_home),
        "XDG_CONFIG_HOME": str(env_home),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "vigil", *args], env=environ, capture_output=True, text=True, timeout=60
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = _vigil("--help", env_home=tmp_path)
    assert result.returncode == 0
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert set(NOUNS) <= listed
    keys_help = CliRunner().invoke(cli, ["keys", "--help"]).output
    for sub in (
        "create",
        "list",
        "describe",
        "schedule-deletion",
        "protect",
        "rotate",
        "alias",
        "public-key",
    ):
        assert sub in keys_help


def test_missing_credentials_are_a_usage_error(tmp_path: Path) -> None:
    result = _vigil("--endpoint", "http://127.0.0.1:1", "keys", "list", env_home=tmp_path)
    assert result.returncode == 2
    assert "Error: no credentials: pass --access-key-id/--access-key-secret" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_server_is_one_error_line(tmp_path: Path) -> None:
    unreachable = Cli(f"http://127.0.0.1:{_closed_port()}", tmp_path)
    result = unreachable.fails("keys", "describe", "key-x")
    assert result.stderr.startswith("Error: cannot reach the Vigil server:")
    assert result.stderr.count("\n") == 1


def test_encrypt_and_decrypt_as_real_processes(server: RunningServer, tmp_path: Path) -> None:
    env = {
        "VIGIL_ENDPOINT": server.url,
        "VIGIL_ACCESS_KEY_ID": ROOT_AK,
        "VIGIL_ACCESS_KEY_SECRET": ROOT_SECRET,
    }
    created = _vigil("keys", "create", "--json", env_home=tmp_path, **env)
    assert created.returncode == 0, created.stderr
    key_id = json.loads(created.stdout)["KeyId"]
    sealed = _vigil("encrypt", "--key-id", key_id, "--plaintext", "from a shell", env_home=tmp_path, **env)
    assert sealed.returncode == 0, sealed.stderr
    opened = _vigil("decrypt", "--ciphertext", sealed.stdout.strip(), env_home=tmp_path, **env)
    assert (opened.returncode, opened.stdout) == (0, "from a shell\n")


def test_data_dir_supplies_the_root_credentials(server: RunningServer, tmp_path: Path) -> None:
    (tmp_path / "root-credentials.json").write_text(
        json.dumps({"AccessKeyId": ROOT_AK, "AccessKeySecret": ROOT_SECRET})
    )
    result = _vigil(
        "--endpoint", server.url, "--data-dir", str(tmp_path), "whoami", "--json", env_home=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["AccessKeyId"] == ROOT_AK


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


def test_clock_advances_by_seconds_or_days(vigil: Cli) -> None:
    before = vigil.json("clock", "show")
    assert before["OffsetSeconds"] == 0
    assert vigil.json("clock", "advance", "90")["OffsetSeconds"] == 90
    moved = vigil.json("clock", "advance", "--days", "2")
    assert moved["OffsetSeconds"] == 90 + 2 * 86_400
    assert {job["Name"] for job in moved["JobsRun"]} >= {"keys.destroy_due_keys"}
    assert vigil.json("clock", "show")["NowMs"] >= before["NowMs"] + moved["OffsetSeconds"] * 1000
    assert "give either SECONDS or --days" in vigil.fails("clock", "advance", code=2).stderr
    assert (
        "give either SECONDS or --days" in vigil.fails("clock", "advance", "5", "--days", "1", code=2).stderr
    )


def test_clock_advance_needs_a_test_clock_server(start_server: ServerFactory, tmp_path: Path) -> None:
    plain = start_server(test_clock=False)
    for args in (["advance", "60"], ["show"]):
        result = Cli(plain.url, tmp_path).fails("clock", *args)
        assert (
            result.stderr
            == "Error: this server has no test clock; start it with 'vigil serve --test-clock'\n"
        )


def test_every_json_output_parses(vigil: Cli) -> None:
    key_id = vigil.new_key()
    for args in (
        ["whoami"],
        ["keys", "list"],
        ["keys", "describe", key_id],
        ["keys", "versions", key_id],
        ["keys", "tags", key_id],
        ["keys", "alias", "list"],
        ["users", "list"],
        ["access-keys", "list"],
        ["policies", "list"],
        ["clock", "show"],
        ["random-password"],
    ):
        assert isinstance(vigil.json(*args), (dict, list)), args
