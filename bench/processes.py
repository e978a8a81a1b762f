"""Server processes for the benchmark: free ports, one process group each, and a stop that always works.

Every child runs in its own session, so Ctrl-C in the terminal reaches only the benchmark, whose
``finally`` blocks then stop each child's whole group (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class ChildFailed(RuntimeError):
    """A server exited or never became ready; the message carries the tail of its log."""


@dataclass(slots=True)
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop the child's whole process group; SIGKILL if it outlives the grace period."""
        if self.popen.poll() is not None:
            return
        _signal_group(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def spawn(name: str, argv: Sequence[str], workdir: Path, env: Mapping[str, str] | None = None) -> Child:
    """Start ``argv`` in a new session with its output in ``workdir/<name>.log``."""
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(argv),
            cwd=workdir,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Child(name, popen, log)


def free_port(consecutive: int = 1) -> int:
    """A port that is free on 127.0.0.1 now, together with the ``consecutive - 1`` ports after it."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + consecutive <= 65536 and all(_is_free(p) for p in range(port, port + consecutive)):
            return port
    raise RuntimeError(f"found no run of {consecutive} free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_ready(
    child: Child, url: str, headers: Mapping[str, str] | None = None, timeout_s: float = 60
) -> None:
    """Poll ``url`` until it answers 200. Raises ChildFailed if the child dies or the time runs out."""
    deadline = time.monotonic() + timeout_s
    request = urllib.request.Request(url, headers=dict(headers or {}))
    while time.monotonic() < deadline:
        if child.popen.poll() is not None:
            raise ChildFailed(f"{child.name} exited with {child.popen.returncode}:\n{child.log_tail()}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise ChildFailed(f"{child.name} was not ready at {url} after {timeout_s:.0f} s:\n{child.log_tail()}")


def venv_command(name: str) -> str:
    """The console script ``name`` installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} was found neither beside {sys.executable} nor on PATH")
    return found
