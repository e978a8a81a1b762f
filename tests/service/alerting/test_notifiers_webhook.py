"""The signed webhook channel against a real local HTTP receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from vigil.alerting.notifiers import Message, Reason
from vigil.alerting.notifiers.transport import HttpTransport
from vigil.alerting.notifiers.webhook import WebhookNotifier
from vigil.testing import LocalReceiver, Reply
from vigil.webhooks import verify

KEY = b"webhook-signing-key-0123456789ab"


@pytest.fixture
def notifier() -> Iterator[WebhookNotifier]:
    transport = HttpTransport(timeout_s=5.0)
    yield WebhookNotifier(KEY, transport)
    transport.close()


def test_post_sends_the_event_signed_like_every_vigil_webhook(
    notifier: WebhookNotifier, message: Message
) -> None:
    with LocalReceiver() as receiver:
        outcome = notifier.send({"url": receiver.url, "method": "POST"}, message)
        [request] = receiver.wait_for(1)
    assert outcome.ok and outcome.reason is Reason.NONE and outcome.error == ""
    assert outcome.latency_ms > 0
    assert request.method == "POST"
    assert request.json() == message.payload
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-vigil-delivery"] == "dlv-0001"
    assert request.headers["user-agent"] == "Vigil-Alerts/1"
    timestamp = request.headers["x-vigil-timestamp"]
    assert verify(KEY, timestamp, request.body, request.headers["x-vigil-signature"])
    assert not verify(b"another key", timestamp, request.body, request.headers["x-vigil-signature"])


def test_post_is_the_default_method(notifier: WebhookNotifier, message: Message) -> None:
    with LocalReceiver() as receiver:
        assert notifier.send({"url": receiver.url}, message).ok
        assert notifier.send({"url": receiver.url, "method": ""}, message).ok
        assert [r.method for r in receiver.wait_for(2)] == ["POST", "POST"]


def test_get_sends_the_event_as_a_signed_query_parameter(notifier: WebhookNotifier, message: Message) -> None:
    with LocalReceiver() as receiver:
        outcome = notifier.send({"url": receiver.url + "?team=ops", "method": "get"}, message)
        [request] = receiver.wait_for(1)
    assert outcome.ok
    assert request.method == "GET" and request.body == b""
    query = parse_qs(urlsplit(request.path).query)
    assert query["team"] == ["ops"]
    [event] = query["event"]
    assert json.loads(event) == message.payload
    signed = verify(
        KEY, request.headers["x-vigil-timestamp"], event.encode(), request.headers["x-vigil-signature"]
    )
    assert signed
    assert request.headers["x-vigil-delivery"] == "dlv-0001"


@pytest.mark.parametrize(
    ("status", "retryable", "reason"),
    [
        (500, True, Reason.HTTP_STATUS),
        (503, True, Reason.HTTP_STATUS),
        (408, True, Reason.HTTP_STATUS),
        (425, True, Reason.HTTP_STATUS),
        (429, True, Reason.HTTP_STATUS),
        (404, False, Reason.REJECTED),
        (400, False, Reason.REJECTED),
        (410, False, Reason.REJECTED),
        (302, False, Reason.REJECTED),
    ],
    ids=lambda v: str(v),
)
def test_status_decides_whether_a_failure_is_retried(
    notifier: WebhookNotifier,
    message: Message,
    status: int,
    retryable: bool,
    reason: Reason,
    shared_receiver: LocalReceiver,
) -> None:
    shared_receiver.push(Reply(status))
    outcome = notifier.send({"url": shared_receiver.url}, message)
    assert not outcome.ok
    assert (outcome.retryable, outcome.reason) == (retryable, reason)
    assert f"HTTP {status}" in outcome.error


def test_a_refused_connection_is_a_retryable_network_failure(
    notifier: WebhookNotifier, message: Message, closed_port: int
) -> None:
    outcome = notifier.send({"url": f"http://127.0.0.1:{closed_port}/hook"}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.NETWORK)


def test_a_slow_receiver_is_a_retryable_timeout(message: Message) -> None:
    release = threading.Event()
    transport = HttpTransport(timeout_s=0.3)
    try:
        with LocalReceiver(default=Reply(200, hold=release)) as receiver:
            outcome = WebhookNotifier(KEY, transport).send({"url": receiver.url}, message)
            release.set()
    finally:
        transport.close()
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.TIMEOUT)


@pytest.mark.parametrize(
    "address",
    [
        {},
        {"url": ""},
        {"url": "not a url"},
        {"url": "ftp://example.com/hook"},
        {"url": "http://"},
        {"url": "http:///path-only"},
        {"url": "http://example.com:99999/hook"},
        {"url": "https://example.com/hook", "method": "PUT"},
    ],
    ids=["empty", "blank-url", "not-a-url", "ftp", "no-host", "path-only", "bad-port", "put"],
)
def test_addresses_that_can_never_work_are_invalid(
    notifier: WebhookNotifier, message: Message, address: dict[str, str]
) -> None:
    problem = notifier.check(address)
    assert problem
    outcome = notifier.send(address, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)
    assert outcome.error == problem


def test_a_good_address_passes_the_check(notifier: WebhookNotifier) -> None:
    assert notifier.check({"url": "https://hooks.example.com/alerts?x=1", "method": "GET"}) is None


def test_errors_hold_no_credentials_query_or_key(notifier: WebhookNotifier, message: Message) -> None:
    with LocalReceiver(default=Reply(500, body={"echo": "whatever"})) as receiver:
        port = urlsplit(receiver.url).port
        url = f"http://ops:hunter2@127.0.0.1:{port}/hook?token=s3cret-token"
        outcome = notifier.send({"url": url}, message)
    assert not outcome.ok
    assert f"127.0.0.1:{port}/hook" in outcome.error
    for secret in ("hunter2", "s3cret-token", "ops:", KEY.decode(), "Rotation", "secretName"):
        assert secret not in outcome.error
    assert KEY.decode() not in repr(notifier)
