"""Raw HTTP/1.1 requests: formatting them byte for byte, writing them as wrk pool files, and sending one.

A pool file is a sequence of records ``<length>\\n<raw request bytes>``; ``replay.lua`` reads it
and wrk sends the records round-robin, one per request.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Header = tuple[str, str]


def raw_request(method: str, target: str, headers: Sequence[Header], body: bytes = b"") -> bytes:
    """The bytes of one request; ``Content-Length`` is added, header names are sent as given."""
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write_pools(requests: Sequence[bytes], stem: Path, threads: int) -> None:
    """Deal the requests round-robin into ``<stem>.<thread>`` files, one per wrk thread."""
    for thread in range(threads):
        with Path(f"{stem}.{thread}").open("wb") as out:
            for raw in requests[thread::threads]:
                out.write(b"%d\n" % len(raw))
                out.write(raw)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes


def send_one(port: int, raw: bytes, timeout_s: float = 10.0) -> Reply:
    """Send one raw request to 127.0.0.1:port and read the whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return Reply(response.status, response.read())
