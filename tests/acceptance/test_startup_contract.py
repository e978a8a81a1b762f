"""The start-up contract, tested on the real ``vigil serve`` process.

Covers generated root credentials (printed once, saved 0600), VIGIL_* variables,
/healthz, the test clock flag, and that kill -9 loses no acknowledged key.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from vigil.client import VigilApiError, VigilClient

VIGIL = str(Path(sys.executable).with_name("vigil"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, data_dir: Path, env: dict[str, str], *extra: str) -> None:
        self.port = _free_port()
        self.data_dir = data_dir
        args = [
            VIGIL,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(data_dir),
            *extra,
        ]
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"vigil serve exited: {self.proc.stdout.read() if self.proc.stdout else ''}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("vigil serve did not become healthy in 30 s")

    def kill9(self) -> str:
        self.proc.send_signal(signal.SIGKILL)
        out, _ = self.proc.communicate(timeout=30)  # the workers' output pipes close as they exit
        return out

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        out, _ = self.proc.communicate(timeout=15)
        return out


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(extra)
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for s in started:
        if s.proc.poll() is None:
            s.kill9()


@pytest.fixture
def served_clients() -> Iterator[list[VigilClient]]:
    clients: list[VigilClient] = []
    yield clients
    for client in clients:
        client.close()


def test_first_start_generates_prints_and_saves_the_root_key(tmp_path: Path, served: list[Served]) -> None:
    server = Served(tmp_path / "d", _env())
    served.append(server)
    saved = tmp_path / "d" / "root-credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    creds = json.loads(saved.read_text())
    output = server.stop()
    assert creds["AccessKeyId"] in output and creds["AccessKeySecret"] in output
    again = Served(tmp_path / "d", _env())
    served.append(again)
    with VigilClient(again.url, creds["AccessKeyId"], creds["AccessKeySecret"]) as client:
        identity = client.vigil("GetCallerIdentity")
    assert creds["AccessKeySecret"] not in again.stop(), "the secret must be printed only at first start"
    assert len(identity["AccountId"]) == 16 and identity["AccountId"].isdigit()


def test_environment_sets_root_key_region_and_project(
    tmp_path: Path, served: list[Served], served_clients: list[VigilClient]
) -> None:
    env = _env(
        VIGIL_ROOT_ACCESS_KEY_ID="LTAIcontract0000000001",
        VIGIL_ROOT_ACCESS_KEY_SECRET="contract-secret-0123456789",
        VIGIL_REGION="eu-central-1",
        VIGIL_PROJECT_ID="0123456789abcdef0123456789abcdef",
    )
    server = Served(tmp_path / "d", env)
    served.append(server)
    client = VigilClient(server.url, "LTAIcontract0000000001", "contract-secret-0123456789")
    served_clients.append(client)
    identity = client.vigil("GetCallerIdentity")
    assert identity["RegionId"] == "eu-central-1"
    assert identity["ProjectId"] == "0123456789abcdef0123456789abcdef"
    assert identity["DefaultKmsInstanceId"].startswith("kst-")
    assert not (tmp_path / "d" / "root-credentials.json").exists()
    with pytest.raises(VigilApiError) as err:
        client.vigil("AdvanceClock", {"Seconds": 60})
    assert err.value.code == "InvalidAction.NotFound"
    whoami = subprocess.run(
        [
            VIGIL,
            "--endpoint",
            server.url,
            "--access-key-id",
            "LTAIcontract0000000001",
            "--access-key-secret",
            "contract-secret-0123456789",
            "whoami",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(whoami.stdout)["ProjectId"] == "0123456789abcdef0123456789abcdef"


def test_invalid_settings_fail_at_start_naming_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [VIGIL, "serve", "--port", str(_free_port()), "--data-dir", str(tmp_path / "d")],
        env=_env(VIGIL_REGION="Not A Region!"),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "VIGIL_REGION" in result.stdout + result.stderr


def test_a_kill_9_loses_no_acknowledged_key(
    tmp_path: Path, served: list[Served], served_clients: list[VigilClient]
) -> None:
    env = _env(
        VIGIL_ROOT_ACCESS_KEY_ID="LTAIcontract0000000002",
        VIGIL_ROOT_ACCESS_KEY_SECRET="contract-secret-abcdefghij",
    )
    server = Served(tmp_path / "d", env, "--test-clock")
    served.append(server)
    client = VigilClient(server.url, "LTAIcontract0000000002", "contract-secret-abcdefghij")
    served_clients.append(client)
    key = client.call("CreateKey", {})["KeyMetadata"]
    blob = client.call("Encrypt", {"KeyId": key["KeyId"], "Plaintext": "survives"})["CiphertextBlob"]
    client.call("DisableKey", {"KeyId": key["KeyId"]})
    client.vigil("AdvanceClock", {"Seconds": 3600})
    server.kill9()
    restarted = Served(tmp_path / "d", env, "--test-clock")
    served.append(restarted)
    client = VigilClient(restarted.url, "LTAIcontract0000000002", "contract-secret-abcdefghij")
    served_clients.append(client)
    assert client.call("DescribeKey", {"KeyId": key["KeyId"]})["KeyMetadata"]["KeyState"] == "Disabled"
    client.call("EnableKey", {"KeyId": key["KeyId"]})
    assert client.call("Decrypt", {"CiphertextBlob": blob})["Plaintext"] == "survives"
    assert client.vigil("GetClock")["OffsetSeconds"] >= 3600, "the test clock never moves backwards"


def test_a_different_root_key_is_refused(tmp_path: Path, served: list[Served]) -> None:
    server = Served(tmp_path / "d", _env())
    served.append(server)
    server.stop()
    (tmp_path / "d" / "root.key").unlink()
    result = subprocess.run(
        [VIGIL, "serve", "--port", str(_free_port()), "--data-dir", str(tmp_path / "d")],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "root key" in (result.stdout + result.stderr)
