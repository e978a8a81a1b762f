"""Real stand-ins shipped with the product for tests: a manual clock, a seeded Random, an
in-thread server, a local HTTP receiver for webhooks, a password-checking PostgreSQL cluster and
an SMTP sink.

Nothing here mocks Vigil: each class is a second real implementation of a seam
(``Clock``, ``Random``) or a way to run the real application, or a real peer, on a loopback port.
"""

from __future__ import annotations

import atexit
import email
import email.policy
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
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
            asgi,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
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
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer of a LocalReceiver: a status, a body (JSON-encoded unless bytes), and optionally
    an event to wait for before answering, so a test can observe work while a call is in flight."""

    status: int = 200
    body: Any = None
    hold: threading.Event | None = None


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes = field(repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class _ReceiverServer(ThreadingHTTPServer):
    request_queue_size = 128
    """The listen backlog. socketserver's default of 5 drops the connection attempts beyond it when
    a delivery pool opens eight at once, and each dropped one waits a second to try again."""


class LocalReceiver:
    """A real HTTP receiver on 127.0.0.1: records every request and answers from a script.

    Scripted replies are used once each, in order; after that every request gets ``default``.
    ``LocalReceiver(Reply(500), Reply(500))`` fails twice, then succeeds.
    """

    def __init__(self, *script: Reply, default: Reply | None = None, hold_timeout_s: float = 10.0) -> None:
        self._script: deque[Reply] = deque(script)
        self._default = default or Reply()
        self._hold_timeout = hold_timeout_s
        self._requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._server = _ReceiverServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="vigil-local-receiver", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._changed:
            return list(self._requests)

    def push(self, *replies: Reply) -> None:
        """Append replies to the script."""
        with self._changed:
            self._script.extend(replies)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[ReceivedRequest]:
        """Block until at least ``count`` requests arrived. Raises TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout_s):
                raise TimeoutError(f"expected {count} requests, got {len(self._requests)}")
            return list(self._requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalReceiver:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            return self._script.popleft() if self._script else self._default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._record(ReceivedRequest(self.command, self.path, headers, body))
                if reply.hold is not None:
                    reply.hold.wait(receiver._hold_timeout)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                payload = b"" if reply.body is None else payload
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


@dataclass(slots=True)
class PostgresCluster:
    """A throw-away PostgreSQL cluster that really checks passwords (SCRAM-SHA-256 for every login).

    ``start`` runs initdb and pg_ctl in a fresh directory under ``base_dir``; ``stop`` shuts the
    postmaster down and removes the directory. As root the binaries run as the ``postgres`` OS
    user (initdb refuses root), so ``base_dir`` must be traversable by that user: ``/tmp`` is,
    pytest's ``tmp_path`` (``/tmp/pytest-of-root``, mode 0700) is not.
    """

    directory: Path
    bin_dir: Path
    port: int
    superuser: str
    password: str = field(repr=False)
    host: str = "127.0.0.1"
    running: bool = False

    @staticmethod
    def find_binaries() -> Path | None:
        """The newest installed PostgreSQL server bin directory, or None when there is none."""
        found = [p for p in Path("/").glob(PG_BIN_GLOB.lstrip("/")) if (p / "initdb").is_file()]
        found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1)
        return found[-1] if found else None

    @classmethod
    def start(
        cls, base_dir: Path, *, bin_dir: Path | None = None, timeout_s: float = 60.0
    ) -> PostgresCluster:
        """initdb a scram-only cluster and start it on a free loopback port.

        Raises RuntimeError (with initdb's or the server log's output) when that fails; nothing
        is left running or on disk then.
        """
        bin_dir = bin_dir or cls.find_binaries()
        if bin_dir is None:
            raise RuntimeError(f"no PostgreSQL server binaries under {PG_BIN_GLOB}")
        directory = Path(tempfile.mkdtemp(prefix="vigil-pg-", dir=base_dir))
        cluster = cls(directory, bin_dir, 0, "vigil_super", secrets.token_hex(16))
        atexit.register(cluster.stop)  # a postmaster must not outlive the test process
        try:
            cluster._init(timeout_s)
            cluster._start(timeout_s)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def dsn(self, user: str, password: str, dbname: str = "postgres") -> str:
        return make_conninfo(
            host=self.host, port=self.port, user=user, password=password, dbname=dbname, connect_timeout=5
        )

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
        """Run a server binary (or an absolute path) as the cluster's OS user."""
        command = [program if program.startswith("/") else str(self.bin_dir / program), *args]
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


_SMTP_LINE_LIMIT = 1 << 20


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    data: bytes = field(repr=False)
    """The message as sent after DATA, dot-unstuffed, without the terminating line."""

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)  # policy.default builds EmailMessage objects
        return parsed


class SmtpSink:
    """A real SMTP server on 127.0.0.1 that records every message it accepts (no AUTH, no TLS).

    Scripted reply codes answer the next MAIL commands, once each, in order; after that MAIL
    gets 250. ``SmtpSink(451)`` defers the first message and accepts a retry, ``SmtpSink(550)``
    refuses it for good.
    """

    host = "127.0.0.1"

    def __init__(self, *mail_replies: int) -> None:
        self._script: deque[int] = deque(mail_replies)
        self._mails: list[ReceivedMail] = []
        self._changed = threading.Condition()
        self._server = socketserver.ThreadingTCPServer((self.host, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="vigil-smtp-sink", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self._mails)

    def push(self, *mail_replies: int) -> None:
        """Append reply codes to the script."""
        with self._changed:
            self._script.extend(mail_replies)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[ReceivedMail]:
        """Block until at least ``count`` messages arrived. Raises TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._mails) >= count, timeout_s):
                raise TimeoutError(f"expected {count} messages, got {len(self._mails)}")
            return list(self._mails)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _mail_reply(self) -> int:
        with self._changed:
            return self._script.popleft() if self._script else 250

    def _record(self, mail: ReceivedMail) -> None:
        with self._changed:
            self._mails.append(mail)
            self._changed.notify_all()

    def _handler_class(self) -> type[socketserver.StreamRequestHandler]:
        sink = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self._say(220, "vigil SMTP sink ready")
                sender: str | None = None
                recipients: list[str] = []
                while line := self.rfile.readline(_SMTP_LINE_LIMIT):
                    verb, _, arg = line.decode("utf-8", "replace").strip().partition(" ")
                    match verb.upper():
                        case "EHLO":
                            self.wfile.write(b"250-127.0.0.1\r\n250 8BITMIME\r\n")
                        case "HELO" | "NOOP":
                            self._say(250, "ok")
                        case "MAIL":
                            code = sink._mail_reply()
                            sender, recipients = (_smtp_path(arg), []) if code == 250 else (None, [])
                            self._say(code, "sender ok" if code == 250 else "scripted reply")
                        case "RCPT" if sender is not None:
                            recipients.append(_smtp_path(arg))
                            self._say(250, "recipient ok")
                        case "DATA" if sender is not None and recipients:
                            self._say(354, "end data with <CR><LF>.<CR><LF>")
                            sink._record(ReceivedMail(sender, tuple(recipients), self._read_data()))
                            sender, recipients = None, []
                            self._say(250, "queued")
                        case "RCPT" | "DATA":
                            self._say(503, "bad sequence of commands")
                        case "RSET":
                            sender, recipients = None, []
                            self._say(250, "ok")
                        case "QUIT":
                            self._say(221, "bye")
                            return
                        case _:
                            self._say(502, "command not implemented")

            def _say(self, code: int, text: str) -> None:
                self.wfile.write(f"{code} {text}\r\n".encode())

            def _read_data(self) -> bytes:
                lines: list[bytes] = []
                while (line := self.rfile.readline(_SMTP_LINE_LIMIT)) not in (b".\r\n", b".\n", b""):
                    lines.append(line[1:] if line.startswith(b".") else line)  # undo dot-stuffing
                return b"".join(lines)

        return Session


def _smtp_path(argument: str) -> str:
    """The address inside ``FROM:<a@b.c> BODY=8BITMIME`` or ``TO:<a@b.c>``."""
    return argument.partition("<")[2].partition(">")[0]
