"""The audit trail fails closed and loses nothing acknowledged, on the real ``vigil serve`` process.

With the journal on a tiny tmpfs that fills up, calls are refused with AuditUnavailable and not
carried out, the failures are counted (GetAuditStatus, the server log), and once space is freed
calls go through and are recorded again. A kill -9 loses the record of no acknowledged call.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.acceptance.test_startup_contract import Served, _env, served, served_clients  # noqa: F401
from vigil.client import VigilApiError, VigilClient

AK, SK = "LTAIauditfail000000001", "audit-fail-secret-0123456789"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs for the journal, unmounted afterwards."""
    mountpoint = tmp_path / "journal"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"SKIPPED LOUDLY: cannot mount a tmpfs to fill ({mounted.stderr.strip() or 'mount failed'})"
        )
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(directory: Path) -> Path:
    """A file that takes every free byte of ``directory``'s file system."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    finally:
        os.close(fd)
    return filler


def refused(call: object) -> VigilApiError:
    assert callable(call)
    with pytest.raises(VigilApiError) as info:
        call()
    return info.value


def key_ids(client: VigilClient) -> set[str]:
    return {k["KeyId"] for k in client.call("ListKeys", {"PageSize": 100})["Keys"]["Key"]}


def indexed(data_dir: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(data_dir / "vigil.db", timeout=30)) as db:
        return db.execute(sql, params).fetchall()


def wait_for(condition: object, what: str, seconds: float = 20) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.timeout(300)
def test_a_full_journal_disk_refuses_calls_until_space_is_freed(
    tmp_path: Path,
    tiny_disk: Path,
    served: list[Served],  # noqa: F811
    served_clients: list[VigilClient],  # noqa: F811
) -> None:
    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK, VIGIL_AUDIT_DIR=str(tiny_disk))
    server = Served(tmp_path / "d", env, "--workers", "1")  # one journal, one failing flag
    served.append(server)
    client = VigilClient(server.url, AK, SK)
    served_clients.append(client)
    kept = client.call("CreateKey", {"Description": "before the disk filled"})["KeyMetadata"]["KeyId"]
    filler = fill(tiny_disk)

    # the segment's last page may still take a few records; the first call past it is refused
    wait_for(lambda: not _succeeds(client), "a call to be refused once the disk is full")
    refusal = refused(lambda: client.call("CreateKey", {"Description": "must not exist"}))
    assert (refusal.status, refusal.code) == (503, "AuditUnavailable")
    status = client.vigil("GetAuditStatus")  # answered while failing, so an operator can see why
    assert status["Failing"] is True and status["RecordsFailed"] >= 2
    assert status["LastFailure"] == "No space left on device"

    filler.unlink()
    wait_for(lambda: _succeeds(client), "calls to be accepted once space was freed")
    assert key_ids(client) == {kept}, "the refused CreateKey was not carried out"
    after = client.call("CreateKey", {"Description": "after space was freed"})["KeyMetadata"]["KeyId"]
    assert key_ids(client) == {kept, after}
    assert client.vigil("GetAuditStatus")["Failing"] is False

    def recorded() -> bool:
        rows = indexed(
            server.data_dir, "SELECT resource_name FROM audit_records WHERE event_name = 'CreateKey'"
        )
        return {kept, after} <= {r[0] for r in rows}

    wait_for(recorded, "both accepted CreateKey calls to be indexed")
    log = server.stop()
    assert "audit journal write failed (No space left on device)" in log


def _succeeds(client: VigilClient) -> bool:
    try:
        client.call("ListKeys", {})
    except VigilApiError as exc:
        assert exc.code == "AuditUnavailable", exc
        return False
    return True


@pytest.mark.timeout(300)
def test_a_kill_9_loses_the_record_of_no_acknowledged_call(
    tmp_path: Path,
    served: list[Served],  # noqa: F811
) -> None:
    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--workers", "2")
    served.append(server)
    acknowledged: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with VigilClient(server.url, AK, SK) as client:
            key = client.call("CreateKey", {})
            mine = [key["RequestId"]]
            for _ in range(15):
                mine.append(
                    client.call("Encrypt", {"KeyId": key["KeyMetadata"]["KeyId"], "Plaintext": "eA=="})[
                        "RequestId"
                    ]
                )
            with lock:
                acknowledged.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acknowledged) == 8 * 16
    server.kill9()
    restarted = Served(tmp_path / "d", env, "--workers", "1")
    served.append(restarted)

    def missing() -> set[str]:
        rows = indexed(restarted.data_dir, "SELECT request_id FROM audit_records")
        return set(acknowledged) - {r[0] for r in rows}

    wait_for(lambda: not missing(), "every acknowledged call's record after the restart")
    duplicates = indexed(
        restarted.data_dir,
        "SELECT request_id, COUNT(*) FROM audit_records GROUP BY request_id HAVING COUNT(*) > 1",
    )
    assert duplicates == [], "each journal line became exactly one record"
