"""The notification HTTP client against a scripted HTTP/1.1 server on loopback: connections are
kept and reused, a stale one is replaced, answers are read however they are framed, and nothing a
caller passes can add a header."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from vigil.alerting.notifiers.http11 import BadRequestTarget, Client, target_of

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
Script = Callable[[socket.socket, bytes], bool]
"""Answers one request on a connection; returns whether to keep the connection open."""


class ScriptedServer:
    def __init__(self, script: Script) -> None:
        self._script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.requests: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                    0,
                )  # fmt: skip
                while len(rest) < length:
                    rest += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                if not self._script(conn, head):
                    return

    def close(self) -> None:
        self._listener.close()


@contextmanager
def serving(script: Script) -> Iterator[ScriptedServer]:
    server = ScriptedServer(script)
    try:
        yield server
    finally:
        server.close()


def _send(
    client: Client, url: str, body: bytes | None = b"{}", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    answer = client.request(
        "POST", target_of(url), headers or {}, body, deadline=time.monotonic() + 5, body_limit=64 * 1024
    )
    return answer.status, answer.body


def test_connections_are_kept_and_reused() -> None:
    def ok(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(OK)
        return True

    with serving(ok) as server:
        client = Client(5.0, "test-agent")
        for _ in range(20):
            assert _send(client, f"http://127.0.0.1:{server.port}/hook") == (200, b"ok")
        client.close()
    assert server.connections == 1
    assert server.requests[0].startswith(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"User-Agent: test-agent\r\n" in server.requests[0]
    assert server.requests[0].endswith(b"Content-Length: 2\r\n\r\n{}")


def test_an_idle_connection_the_peer_closed_is_replaced() -> None:
    def once(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(OK)
        return False  # closes after every answer although it said nothing about it

    with serving(once) as server:
        client = Client(5.0, "t")
        assert [_send(client, f"http://127.0.0.1:{server.port}/")[0] for _ in range(3)] == [200] * 3
        client.close()
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        (
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
            b"abcde",
        ),
        (b"HTTP/1.0 503 Busy\r\n\r\nuntil close", b"until close"),
    ],
    ids=["chunked", "read-until-close"],
)
def test_answers_are_read_however_they_are_framed(answer: bytes, body: bytes) -> None:
    def reply(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(answer)
        return b"chunked" in answer

    client = Client(5.0, "t")
    with serving(reply) as server:
        status, got = _send(client, f"http://127.0.0.1:{server.port}/")
    client.close()
    assert (status, got) == (int(answer.split()[1]), body)


def test_a_huge_answer_is_cut_at_the_limit() -> None:
    def huge(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1_000_000)
        return False

    with serving(huge) as server:
        status, body = _send(Client(5.0, "t"), f"http://127.0.0.1:{server.port}/")
    assert status == 200 and len(body) == 64 * 1024


def test_a_silent_peer_times_out_at_the_deadline() -> None:
    with serving(lambda conn, head: True) as server:
        client = Client(5.0, "t")
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            client.request(
                "POST",
                target_of(f"http://127.0.0.1:{server.port}/"),
                {},
                b"{}",
                deadline=started + 0.3,
                body_limit=10,
            )
        assert time.monotonic() - started < 2


def test_no_value_can_add_a_header_or_bend_the_request_line() -> None:
    client = Client(5.0, "t")
    with pytest.raises(ValueError, match="header"):
        _send(client, "http://127.0.0.1:9/", headers={"X-Vigil-Delivery": "a\r\nX-Evil: 1"})
    with pytest.raises(BadRequestTarget):
        target_of("http://127.0.0.1:9/a b")
    with pytest.raises(BadRequestTarget):
        target_of("ftp://127.0.0.1/")
    with pytest.raises(BadRequestTarget):
        target_of("http://127.0.0.1:99999/")


def test_credentials_in_the_url_become_basic_authorization() -> None:
    def ok(conn: socket.socket, _: bytes) -> bool:
        conn.sendall(OK)
        return True

    client = Client(5.0, "t")
    with serving(ok) as server:
        _send(client, f"http://hook%20user:p%40ss@127.0.0.1:{server.port}/x?token=1")
    client.close()
    assert b"Authorization: Basic aG9vayB1c2VyOnBAc3M=\r\n" in server.requests[0]
    assert server.requests[0].startswith(b"POST /x?token=1 HTTP/1.1\r\nHost: 127.0.0.1:")
