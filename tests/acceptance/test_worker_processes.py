"""``vigil serve --workers 2``: workers share the nonce table and the test clock."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import httpx

from tests.acceptance.test_startup_contract import Served, _env
from vigil.client import VigilClient, acs3_headers

AK, SK = "LTAIworkers00000000001", "workers-secret-0123456789"


def test_two_workers_act_as_one_server(tmp_path: Path) -> None:
    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--test-clock", "--workers", "2")
    try:
        with VigilClient(server.url, AK, SK) as client:
            key = client.call("CreateKey", {})["KeyMetadata"]["KeyId"]
            assert client.vigil("AdvanceClock", {"Seconds": 120})["OffsetSeconds"] == 120
        offsets = set()
        for _ in range(8):  # a new connection each time lands on either worker
            with VigilClient(server.url, AK, SK) as fresh:
                offsets.add(fresh.vigil("GetClock")["OffsetSeconds"])
                fresh.call("Encrypt", {"KeyId": key, "Plaintext": "x"})
        assert offsets == {120}
        query = {"KeyId": key, "Plaintext": "replayed"}
        headers = acs3_headers("POST", f"127.0.0.1:{server.port}", query, "Encrypt", "2016-01-20", AK, SK)
        answers = []
        for _ in range(4):
            with httpx.Client() as http:
                reply = http.post(f"{server.url}/?{urlencode(query)}", headers=headers)
                answers.append((reply.status_code, reply.json().get("Code")))
        assert answers[0] == (200, None)
        assert answers[1:] == [(400, "SignatureNonceUsed")] * 3
    finally:
        output = server.stop()
    assert "workers 2" in output


def test_workers_do_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    import os
    import signal
    import time

    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--workers", "2")
    children = [
        int(p)
        for p in (Path("/proc") / str(server.proc.pid) / "task" / str(server.proc.pid) / "children")
        .read_text()
        .split()
    ]
    assert len(children) == 2
    server.kill9()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.1)
    alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "zombie" not in (Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}").exists() else "")
    ]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == []
