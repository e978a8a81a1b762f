"""The NATS channel against the machine's real NATS server on 127.0.0.1:4222."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import nats
import pytest
from nats.aio.msg import Msg

from vigil.alerting.notifiers import Message, Outcome, Reason
from vigil.alerting.notifiers.nats import NatsNotifier

NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture(scope="module")
def server_reachable() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=2) as sock:
            greeting = sock.recv(7)
    except OSError as exc:
        pytest.skip(f"NATS AT {NATS_URL} IS UNREACHABLE ({exc}): nats notifier tests SKIPPED")
    if greeting != b'INFO {"':
        pytest.skip("127.0.0.1:4222 does not speak NATS: nats notifier tests SKIPPED")


class CuttableProxy:
    """A real TCP forwarder to the NATS server whose open connections a test can cut."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self._listener.getsockname()[1]}"

    def cut(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        self.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)


@pytest.fixture
def notifier() -> Iterator[NatsNotifier]:
    notifier = NatsNotifier(timeout_s=5.0)
    yield notifier
    notifier.close()


def send_and_collect(
    notifier: NatsNotifier, subject: str, messages: list[Message], workers: int = 1
) -> tuple[list[Outcome], list[Msg]]:
    """Subscribe with a separate client, send from a thread pool, collect what arrived."""

    async def scenario() -> tuple[list[Outcome], list[Msg]]:
        subscriber = await nats.connect(NATS_URL)
        subscription = await subscriber.subscribe(subject)
        await subscriber.flush()

        def send_all() -> list[Outcome]:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                return list(
                    pool.map(lambda m: notifier.send({"url": NATS_URL, "subject": subject}, m), messages)
                )

        outcomes = await asyncio.to_thread(send_all)
        received = [await subscription.next_msg(timeout=5) for o in outcomes if o.ok]
        await subscriber.close()
        return outcomes, received

    return asyncio.run(scenario())


@pytest.mark.usefixtures("server_reachable")
def test_a_delivery_is_published_with_its_message_id(notifier: NatsNotifier, message: Message) -> None:
    subject = f"vigil.test.{uuid.uuid4().hex[:12]}"
    [outcome], [received] = send_and_collect(notifier, subject, [message])
    assert outcome.ok and outcome.reason is Reason.NONE
    assert json.loads(received.data) == message.payload
    assert received.headers == {"Nats-Msg-Id": "dlv-0001"}


@pytest.mark.usefixtures("server_reachable")
def test_concurrent_sends_from_a_thread_pool_all_arrive(notifier: NatsNotifier) -> None:
    subject = f"vigil.test.{uuid.uuid4().hex[:12]}"
    messages = [Message(f"dlv-{i:03d}", "s", {"i": i}, "t") for i in range(40)]
    outcomes, received = send_and_collect(notifier, subject, messages, workers=8)
    assert all(o.ok for o in outcomes)
    assert sorted(m.headers["Nats-Msg-Id"] for m in received if m.headers) == [
        m.delivery_id for m in messages
    ]


@pytest.mark.usefixtures("server_reachable")
def test_the_notifier_works_again_after_close(notifier: NatsNotifier, message: Message) -> None:
    subject = f"vigil.test.{uuid.uuid4().hex[:12]}"
    assert send_and_collect(notifier, subject, [message])[0][0].ok
    notifier.close()
    assert send_and_collect(notifier, subject, [message])[0][0].ok


@pytest.mark.usefixtures("server_reachable")
def test_a_cut_connection_is_replaced_on_a_later_send(message: Message) -> None:
    notifier = NatsNotifier(timeout_s=2.0)
    proxy = CuttableProxy(("127.0.0.1", 4222))
    address = {"url": proxy.url, "subject": f"vigil.test.{uuid.uuid4().hex[:12]}"}
    try:
        assert notifier.send(address, message).ok
        proxy.cut()
        outcomes = [notifier.send(address, message) for _ in range(2)]
    finally:
        proxy.close()
        notifier.close()
    assert outcomes[-1].ok, outcomes
    assert all(o.ok or o.retryable for o in outcomes)


def test_an_unreachable_server_is_retryable_and_keeps_credentials_out(
    notifier: NatsNotifier, message: Message, closed_port: int
) -> None:
    url = f"nats://alerts:hunter2@127.0.0.1:{closed_port}"
    outcome = notifier.send({"url": url, "subject": "vigil.alerts"}, message)
    assert (outcome.ok, outcome.retryable) == (False, True)
    assert outcome.reason in (Reason.NETWORK, Reason.TIMEOUT)
    assert "hunter2" not in outcome.error and f"127.0.0.1:{closed_port}" in outcome.error


@pytest.mark.usefixtures("server_reachable")
def test_an_event_over_the_servers_max_payload_is_a_final_rejection(notifier: NatsNotifier) -> None:
    huge = Message("dlv-huge", "s", {"filler": "x" * (8 * 1024 * 1024)}, "t")
    outcome = notifier.send({"url": NATS_URL, "subject": "vigil.test.huge"}, huge)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.REJECTED)


@pytest.mark.parametrize(
    "address",
    [
        {"subject": "vigil.alerts"},
        {"url": "http://127.0.0.1:4222", "subject": "vigil.alerts"},
        {"url": NATS_URL},
        {"url": NATS_URL, "subject": "vigil.*"},
        {"url": NATS_URL, "subject": "vigil.>"},
        {"url": NATS_URL, "subject": "vigil alerts"},
        {"url": NATS_URL, "subject": "vigil..alerts"},
    ],
    ids=["no-url", "http", "no-subject", "star", "chevron", "space", "empty-token"],
)
def test_addresses_that_can_never_work_are_invalid(
    notifier: NatsNotifier, message: Message, address: dict[str, str]
) -> None:
    assert notifier.check(address)
    outcome = notifier.send(address, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)
