"""Real stand-ins shipped with the product for tests: a manual clock, a seeded Random, an
in-thread server, a local HTTP receiver for webhooks and a password-checking PostgreSQL cluster.

Nothing here mocks Vigil: each class is a second real implementation of a seam
(``Clock``, ``Random``) or a way to run the real application, or a real peer, on a loopback port.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from psycopg.conninfo import make_conninfo


class ManualClock:
    """A Clock that moves only when told to."""

    def __init__(self, now_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now = now_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += round(seconds * 1000)


class SeededRandom:
    """A deterministic Random: SHAKE-256 over a seed and a call counter."""

    def __init__(self, seed: bytes = b"seed") -> None:
        self._seed = seed
        self._calls = 0

    def bytes(self, n: int) -> bytes:
        self._calls += 1
        return hashlib.shake_256(self._seed + self._calls.to_bytes(8, "big")).digest(n)


@dataclass(slots=True)
class ServerThread:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @classmethod
    def start(cls, asgi: Any, *, port: int = 0) -> ServerThread:
        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="vigil-test-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        return cls(server, thread, bound)

    def stop(self) -> None:
        """Stop the postmaster (fast, else immediate) and remove the directory. Safe to call twice."""
        atexit.unregister(self.stop)
        if self.running or (self._data / "postmaster.pid").exists():
            # should both fail, removing the lock file below still makes the postmaster shut down
            _ = self._pg_ctl_stop("fast") or self._pg_ctl_stop("immediate")
            self.running = False
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def _data(self) -> Path:
        return self.directory / "data"

    def _init(self, timeout_s: float) -> None:
        pwfile = self.directory / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        (self.directory / "socket").mkdir()
        self._hand_to_owner(self.directory, pwfile, self.directory / "socket")
        if self._run("/usr/bin/test", "-w", str(self.directory)).returncode != 0:
            raise RuntimeError(
                f"the PostgreSQL server's OS user cannot reach {self.directory}: "
                "start the cluster under a directory every user can traverse, such as /tmp"
            )
        done = self._run(
            "initdb", "-D", str(self._data), "-U", self.superuser, f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--no-locale", "-E", "UTF8",
            "--no-sync", timeout_s=timeout_s,
        )  # fmt: skip
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stdout}{done.stderr}")
        with (self._data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory / 'socket'}'\n"
                "password_encryption = 'scram-sha-256'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )

    def _start(self, timeout_s: float, attempts: int = 3) -> None:
        log = self.directory / "server.log"
        for _ in range(attempts):
            self.port = _free_loopback_port()
            # -w waits until the server accepts connections; a port taken meanwhile is retried
            done = self._run(
                "pg_ctl", "-D", str(self._data), "-l", str(log), "-o", f"-p {self.port}",
                "-w", "-t", str(round(timeout_s)), "start", timeout_s=timeout_s + 10,
            )  # fmt: skip
            self.running = done.returncode == 0
            if self.running:
                return
            server_log = log.read_text(errors="replace") if log.exists() else ""
            if "could not bind" not in server_log:
                break
        raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{server_log[-2000:]}")

    def _pg_ctl_stop(self, mode: str) -> bool:
        done = self._run("pg_ctl", "-D", str(self._data), "stop", "-m", mode, "-w", "-t", "30")
        return done.returncode == 0

    def _hand_to_owner(self, *paths: Path) -> None:
        if os.geteuid() != 0:
            return
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root, but there is no 'postgres' OS user to run initdb as"
            ) from None
        for path in paths:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _run(self, program: str, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command,
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
