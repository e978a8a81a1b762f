"""Workers holding more than an even share of keep-alive clients ask one at a time to reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from vigil.http.balance import COOLDOWN_S, WINDOW_S, ConnectionBalancer, SharedLoads


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _answer(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _request(app: ConnectionBalancer, port: int) -> list[MutableMapping[str, Any]]:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "client": ("127.0.0.1", port), "path": "/"}
    asyncio.run(app(scope, None, send))
    return sent


def _closes(sent: list[MutableMapping[str, Any]]) -> bool:
    return (b"connection", b"close") in sent[0]["headers"]


def _workers(clock: Clock, count: int = 2) -> list[ConnectionBalancer]:
    loads = SharedLoads([0.0] * (2 * count), clock)
    return [ConnectionBalancer(_answer, loads, i, clock) for i in range(count)]


def test_a_worker_with_every_client_sheds_them_one_at_a_time_down_to_an_even_share() -> None:
    clock = Clock()
    busy, idle = _workers(clock)
    clients = {50_000, 50_002, 50_004, 50_006}  # four keep-alive connections, all on one worker
    closed: list[int] = []
    for _ in range(40):  # each client sends a request every 10 ms
        for port in sorted(clients):
            sent = _request(busy, port)
            assert sent[1]["body"] == b"ok"  # the answer itself is untouched
            if _closes(sent):
                closed.append(port)
                clients.discard(port)
                _request(idle, port + 1)  # it reconnects, and this time the other worker gets it
        for port in range(50_001, 50_008, 2):
            if port - 1 in closed:
                _request(idle, port)
        clock.now += 0.01
    assert len(closed) == 2 and len(clients) == 2  # two moved, two stayed: an even split
    assert busy.shed == 2 and idle.shed == 0


def test_shedding_waits_out_the_cooldown() -> None:
    clock = Clock()
    busy, _ = _workers(clock)
    for port in range(6):
        _request(busy, port)
    clock.now += WINDOW_S / 4  # the worker publishes its count
    assert _closes(_request(busy, 0))
    assert not _closes(_request(busy, 1))  # within the cooldown: no second one yet
    clock.now += COOLDOWN_S + 0.001
    assert _closes(_request(busy, 2))


@pytest.mark.parametrize("split", [(2, 2), (2, 1), (1, 0), (11, 9)])
def test_an_even_or_nearly_even_split_is_left_alone(split: tuple[int, int]) -> None:
    clock = Clock()
    workers = _workers(clock)
    for _ in range(2):  # until both workers have published their shares (a ramp-up may shed)
        for index, count in enumerate(split):
            for port in range(count):
                _request(workers[index], 1000 * index + port)
        clock.now += WINDOW_S / 4
    for _ in range(3):
        for index, count in enumerate(split):
            for port in range(count):
                assert not _closes(_request(workers[index], 1000 * index + port))
        clock.now += COOLDOWN_S


def test_a_worker_that_stopped_counting_is_taken_for_idle() -> None:
    clock = Clock()
    loads = SharedLoads([0.0] * 4, clock)
    loads.publish(1, 8)
    assert loads.shares() == [0, 8]
    clock.now += WINDOW_S + 0.01
    assert loads.shares() == [0, 0]


def test_requests_without_a_client_address_pass_through() -> None:
    clock = Clock()
    busy, _ = _workers(clock)
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(busy({"type": "http", "client": None, "path": "/"}, None, send))
    assert sent[0]["headers"] == [(b"content-type", b"text/plain")]
