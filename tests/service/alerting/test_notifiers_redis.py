"""The Redis stream channel against the machine's real Redis on 127.0.0.1:6379."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis

from vigil.alerting.notifiers import Message, Reason
from vigil.alerting.notifiers.redis import RedisNotifier

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def server() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        pytest.skip(
            f"REDIS AT {REDIS_URL} IS UNREACHABLE ({type(exc).__name__}): redis notifier tests SKIPPED"
        )
    yield client
    client.close()


@pytest.fixture
def stream(server: redis.Redis) -> Iterator[str]:
    name = f"vigil-test-{uuid.uuid4().hex[:12]}"
    yield name
    server.delete(name)


@pytest.fixture
def notifier() -> Iterator[RedisNotifier]:
    notifier = RedisNotifier(timeout_s=5.0)
    yield notifier
    notifier.close()


def test_a_delivery_is_added_to_the_stream(
    server: redis.Redis, stream: str, notifier: RedisNotifier, message: Message
) -> None:
    outcome = notifier.send({"url": REDIS_URL, "stream": stream}, message)
    assert outcome.ok and outcome.reason is Reason.NONE
    [(_, fields)] = server.xrange(stream)
    assert fields[b"delivery_id"] == b"dlv-0001"
    assert json.loads(fields[b"event"]) == message.payload


def test_every_send_adds_its_own_entry(
    server: redis.Redis, stream: str, notifier: RedisNotifier, message: Message
) -> None:
    for _ in range(3):
        assert notifier.send({"url": REDIS_URL, "stream": stream}, message).ok
    assert server.xlen(stream) == 3  # consumers dedupe on delivery_id, the stream does not


def test_a_key_of_the_wrong_type_is_a_final_rejection(
    server: redis.Redis, stream: str, notifier: RedisNotifier, message: Message
) -> None:
    server.set(stream, "not a stream")
    outcome = notifier.send({"url": REDIS_URL, "stream": stream}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.REJECTED)
    assert "WRONGTYPE" in outcome.error or "wrong kind" in outcome.error


def test_an_unreachable_server_is_retryable_and_keeps_the_password_out(
    notifier: RedisNotifier, message: Message, closed_port: int
) -> None:
    url = f"redis://:hunter2@127.0.0.1:{closed_port}/0"
    outcome = notifier.send({"url": url, "stream": "s"}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.NETWORK)
    assert "hunter2" not in outcome.error
    assert f"127.0.0.1:{closed_port}" in outcome.error


@pytest.mark.parametrize(
    "address",
    [
        {"stream": "s"},
        {"url": "http://127.0.0.1:6379", "stream": "s"},
        {"url": "redis://127.0.0.1:notaport/0", "stream": "s"},
        {"url": REDIS_URL},
        {"url": REDIS_URL, "stream": "  "},
    ],
    ids=["no-url", "http", "bad-port", "no-stream", "blank-stream"],
)
def test_addresses_that_can_never_work_are_invalid(
    notifier: RedisNotifier, message: Message, address: dict[str, str]
) -> None:
    assert notifier.check(address)
    outcome = notifier.send(address, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)
