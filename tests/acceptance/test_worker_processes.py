"""``vigil serve --workers 2``: workers share the nonce table and the test clock."""

from __future__ import annotations

import sys
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
    server.proc.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in children):
        time.sleep(0.1)
    alive = [pid for pid in children if _running(pid)]
    where = {pid: _whereabouts(pid) for pid in alive}  # so a failure says which process hung, and where
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    server.proc.communicate(timeout=30)  # the output pipe closes once every child is gone
    assert alive == [], where
    assert len(children) == 3  # two HTTP workers and the background process


def test_a_killed_background_process_is_replaced_and_delivery_goes_on(tmp_path: Path) -> None:
    """One worker serves HTTP in the parent; notifications go out from the background process,
    which the parent starts again when it dies, and which commits in the worker wake at once."""
    import json
    import os
    import signal
    import time

    from tests.acceptance.test_delivery_durability import configure, kafka_events
    from vigil.testing import LocalReceiver

    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--workers", "1")

    def children() -> list[int]:  # a child forked by a thread is listed under that thread's task
        tasks = (Path("/proc") / str(server.proc.pid) / "task").iterdir()
        return sorted(int(p) for task in tasks for p in (task / "children").read_text().split())

    try:
        with LocalReceiver() as receiver, VigilClient(server.url, AK, SK) as client:
            configure(client, receiver.url)
            (background,) = children()
            os.kill(background, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while children() in ([], [background]):
                assert time.monotonic() < deadline, "the background process was not replaced"
                time.sleep(0.05)
            time.sleep(1.5)  # the rule cache of the worker (1 s) has the rule by now
            client.vigil("PutSystemEvents", {"Product": "Kafka", "Events": json.dumps(kafka_events(0, 3))})
            started = time.monotonic()
            receiver.wait_for(3, timeout_s=10)
            # woken by the commit, not by the half-second poll of an idle worker
            assert time.monotonic() - started < 2.0
        names = sorted(json.loads(r.body)["instanceName"] for r in receiver.requests)
        assert names == [f"alikafka-storm-{n:04d}" for n in range(3)]
    finally:
        server.stop()


def _nice(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[16])  # the 19th field of stat; two (pid, comm) come before the ")"


def test_background_work_runs_at_a_lower_cpu_priority_than_calls(tmp_path: Path) -> None:
    """The background process (notifications, audit indexing, jobs) is the parent's child with the
    higher nice value; the HTTP workers keep the parent's."""
    from vigil.http.workers import BACKGROUND_NICE

    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--workers", "2")
    try:
        parent = server.proc.pid
        children = [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        lowered = [pid for pid in children if _nice(pid) == _nice(parent) + BACKGROUND_NICE]
        same = [pid for pid in children if _nice(pid) == _nice(parent)]
        assert len(lowered) == 1, (children, [_nice(pid) for pid in children])
        assert len(same) == 2
        with VigilClient(server.url, AK, SK) as client:  # and the server still answers
            assert client.call("CreateKey", {})["KeyMetadata"]["KeyId"]
    finally:
        server.stop()


def test_a_burst_of_sigterms_stops_the_background_process(tmp_path: Path) -> None:
    """The parent's SIGTERM and the kernel's (the parent died) can come together; a handler that
    set a threading.Event could then deadlock on the event's lock and the process never ended."""
    import os
    import signal
    import time

    from vigil.http.workers import BACKGROUND_NICE

    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    server = Served(tmp_path / "d", env, "--workers", "2")
    try:
        parent = server.proc.pid
        children = [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
        (background,) = [pid for pid in children if _nice(pid) == _nice(parent) + BACKGROUND_NICE]
        for _ in range(50):
            os.kill(background, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _running(background):
            time.sleep(0.1)
        assert not _running(background)
    finally:
        server.stop()


def _running(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text()
    except FileNotFoundError:
        return False


def _whereabouts(pid: int) -> str:
    """A process's command line, state and each thread's name and kernel wait channel, and its
    Python stacks when py-spy is installed (the bench extra)."""
    import shutil
    import subprocess

    proc = Path(f"/proc/{pid}")
    try:
        lines = [proc.joinpath("cmdline").read_text().replace("\0", " ")]
        lines += [
            x for x in proc.joinpath("status").read_text().splitlines() if x.startswith(("State", "Sig"))
        ]
        for task in sorted(proc.joinpath("task").iterdir()):
            lines.append(
                f"{task.name} {task.joinpath('comm').read_text().strip()} {task.joinpath('wchan').read_text()}"
            )
    except OSError as exc:
        lines = [f"gone while looking: {exc}"]
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if Path(spy).exists():
        dump = subprocess.run([spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30)
        lines.append(dump.stdout + dump.stderr)
    return "\n".join(lines)


def test_workers_killed_with_their_parent_while_starting_do_not_live_on(tmp_path: Path) -> None:
    """A worker is forked with the parent's Python signal handlers; if SIGTERM (sent by the kernel
    when the parent dies) reached it before uvicorn installed its own, the inherited handler took it
    and the worker went on to serve, an orphan. Here the parent is killed the moment its children
    exist, while the workers are still building their services."""
    import os
    import signal
    import subprocess
    import time

    from tests.acceptance.test_startup_contract import VIGIL, _free_port

    env = _env(VIGIL_ROOT_ACCESS_KEY_ID=AK, VIGIL_ROOT_ACCESS_KEY_SECRET=SK)
    argv = [VIGIL, "serve", "--host", "127.0.0.1", "--port", str(_free_port())]
    argv += ["--data-dir", str(tmp_path / "d"), "--workers", "2"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        listing = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        while time.monotonic() < deadline and len(children) < 3:
            children = [int(p) for p in listing.read_text().split()] if listing.exists() else []
            time.sleep(0.005)
        assert len(children) == 3, "the server never forked its workers"
    finally:
        proc.kill()
        proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_running(pid) for pid in children):
        time.sleep(0.1)
    alive = [pid for pid in children if _running(pid)]
    where = {pid: _whereabouts(pid) for pid in alive}
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == [], where
