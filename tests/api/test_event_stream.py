"""The live event stream (GET /vigil/events/stream) against a real server on SQLite and PostgreSQL:
events caused by real calls arrive once each, in sequence order, filtered, resumable by id or
time, in the SSE wire format, and only for a correctly signed and authorised request.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.cli_harness import Cli
from tests.conftest import ROOT_AK, ROOT_SECRET, SEED_PAYLOAD_KEYS, RunningServer
from vigil.client import VigilApiError, VigilClient, acs3_headers
from vigil.events.catalog import CATALOG
from vigil.events.stream import StreamOptions
from vigil.http.event_stream import ACTION, PATH, VERSION, EventStreamEndpoint
from vigil.iam.authn import Authenticator
from vigil.iam.nonces import NonceTable
from vigil.secrets.service import NewSecret
from vigil.testing import ServerThread

Payload = dict[str, Any]
SCHEDULED = "Key:DeleteKey:ScheduleDeletion"
KAFKA_EVENT = "Instance:State:Change"  # INFO, so a Level=WARN stream must skip it


def stream(server: RunningServer, filters: dict[str, Any] | None = None, **resume: Any) -> Any:
    """The client's stream; a read timeout well under the test timeout turns a lost event into a failure."""
    return server.client().stream(filters, read_timeout=10, **resume)


def take(events: Iterator[Payload], n: int) -> list[Payload]:
    return [next(events) for _ in range(n)]


def schedule_deletion(client: VigilClient) -> str:
    """A new key scheduled for deletion (raises Key:DeleteKey:ScheduleDeletion); returns its id."""
    key_id = str(client.call("CreateKey")["KeyMetadata"]["KeyId"])
    client.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
    return key_id


def create_secret(server: RunningServer, name: str) -> None:
    """Raises Secret:SecretVersion:Created, through the secrets service."""
    server.app.services.secrets.create_secret(server.account_id, NewSecret(name, b"value"))


def publish_kafka(server: RunningServer) -> None:
    server.app.services.events.ingest(server.account_id, "Kafka", [CATALOG[KAFKA_EVENT].example])


def key_of(payload: Payload) -> str:
    return str(payload["content"]["keyId"])


def signed(
    url: str,
    query: dict[str, str] | None = None,
    *,
    secret: str = ROOT_SECRET,
    action: str = ACTION,
    path: str = PATH,
) -> dict[str, str]:
    """ACS3 headers for a GET of the stream at ``url``, as any Alibaba SDK would sign it."""
    host = httpx.URL(url).netloc.decode()
    return acs3_headers("GET", host, query or {}, action, VERSION, ROOT_AK, secret, path=path)


# -- arrival ---------------------------------------------------------------------------------


def test_an_event_raised_after_subscribing_arrives_in_the_seed_shape(server: RunningServer) -> None:
    client = server.client()
    with stream(server) as events:
        key_id = schedule_deletion(client)
        create_secret(server, "app/db")
        scheduled, created = take(events, 2)
    assert set(scheduled) == SEED_PAYLOAD_KEYS
    assert scheduled["name"] == SCHEDULED and scheduled["level"] == "WARN" and key_of(scheduled) == key_id
    assert scheduled["product"] == "kms" and scheduled["userId"] == server.account_id
    assert scheduled["resourceId"] == f"acs:kms:cn-hangzhou:{server.account_id}:key/{key_id}"
    assert created["name"] == "Secret:SecretVersion:Created" and "app/db" in created["resourceId"]


def test_events_committed_before_subscribing_are_not_replayed(server: RunningServer) -> None:
    client = server.client()
    schedule_deletion(client)
    with stream(server) as events:
        later = schedule_deletion(client)
        assert key_of(next(events)) == later


def test_the_wire_carries_id_event_type_payload_and_heartbeats(server: RunningServer) -> None:
    with (
        quick_stream(server, StreamOptions(heartbeat_s=0.2)) as url,
        httpx.Client(timeout=5) as http,
        http.stream("GET", url + PATH, headers=signed(url)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        lines = response.iter_lines()
        assert next(lines) == "retry: 2000"
        assert _next_nonblank(lines) == ": heartbeat"  # nothing happens: a heartbeat within 0.2 s
        key_id = schedule_deletion(server.client())
        message = _next_message(lines)
    stored = server.app.services.events.tail(server.account_id, 0)[-1]
    assert json.loads(message.pop("data")) == stored.payload() and key_of(stored.payload()) == key_id
    assert message == {"id": stored.event_id, "event": "system-event"}


def _next_nonblank(lines: Iterator[str]) -> str:
    return next(line for line in lines if line)


def _next_message(lines: Iterator[str]) -> dict[str, str]:
    """The fields of the next message with data (compact JSON has no raw newline), comments skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        if line.startswith(":"):
            continue
        if not line:
            if "data" in fields:
                return fields
            fields = {}  # e.g. the opening "retry:"
            continue
        name, _, value = line.partition(": ")
        fields[name] = value
    raise AssertionError("the stream ended")


# -- filters ---------------------------------------------------------------------------------


def test_filters_are_honoured(server: RunningServer) -> None:
    client = server.client()
    key_a, key_b = (str(client.call("CreateKey")["KeyMetadata"]["KeyId"]) for _ in range(2))
    created = "Secret:SecretVersion:Created"
    # label: (filters, what that stream must get: a key id for key events, else the event name)
    cases: dict[str, tuple[dict[str, str], list[str]]] = {
        "name": ({"Name": SCHEDULED}, [key_a, key_b]),
        "level": ({"Level": "warn"}, [key_a, key_b]),
        "product": ({"Product": "KAFKA"}, [KAFKA_EVENT, KAFKA_EVENT]),
        "keywords-or": ({"SearchKeywords": f"{key_b.upper()} or no-such-word"}, [key_b]),
        "keywords-and": ({"SearchKeywords": f"{key_a} and deletekey"}, [key_a]),
        "status-type": (
            {"Status": "NORMAL", "EventType": "statusnotification", "Product": "kms"},
            [key_a, created, key_b],
        ),
    }
    with _streams(server, {label: f for label, (f, _) in cases.items()}) as streams:
        client.call("ScheduleKeyDeletion", {"KeyId": key_a, "PendingWindowInDays": 7})
        create_secret(server, "app/filters")
        publish_kafka(server)
        client.call("ScheduleKeyDeletion", {"KeyId": key_b, "PendingWindowInDays": 7})
        publish_kafka(server)
        got = {
            label: [_what(p) for p in take(streams[label], len(want))] for label, (_, want) in cases.items()
        }
    assert got == {label: want for label, (_, want) in cases.items()}


def _what(payload: Payload) -> str:
    return str(payload["content"].get("keyId") or payload["name"])


@contextmanager
def _streams(server: RunningServer, filters: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One open stream per label, all subscribed before the block runs."""
    opened: list[AbstractContextManager[Any]] = []
    try:
        yield {label: _enter(opened, stream(server, f)) for label, f in filters.items()}
    finally:
        for cm in reversed(opened):
            cm.__exit__(None, None, None)


def _enter(opened: list[AbstractContextManager[Any]], cm: AbstractContextManager[Any]) -> Any:
    value = cm.__enter__()
    opened.append(cm)
    return value


def test_a_bad_filter_is_refused_before_the_stream_opens(server: RunningServer) -> None:
    with pytest.raises(VigilApiError) as caught, stream(server, {"SearchKeywords": "a and b or c"}):
        pass
    assert caught.value.status == 400 and "SearchKeywords" in caught.value.message


# -- resuming --------------------------------------------------------------------------------


def test_resuming_from_an_event_id_delivers_exactly_the_later_events(server: RunningServer) -> None:
    client = server.client()
    with stream(server) as events:
        first = [schedule_deletion(client) for _ in range(3)]
        seen = take(events, 3)
    assert [key_of(p) for p in seen] == first
    missed = [schedule_deletion(client) for _ in range(2)]  # while nobody listens
    with stream(server, after_event_id=seen[-1]["id"]) as events:
        assert [key_of(p) for p in take(events, 2)] == missed
        live = schedule_deletion(client)
        assert key_of(next(events)) == live
    with stream(server, after_event_id=seen[0]["id"]) as events:
        assert [key_of(p) for p in take(events, 5)] == [*first[1:], *missed, live]


def test_the_last_event_id_header_of_a_reconnecting_event_source_wins(server: RunningServer) -> None:
    client = server.client()
    keys = [schedule_deletion(client) for _ in range(3)]
    ids = [e.event_id for e in server.app.services.events.tail(server.account_id, 0)]
    query = {"AfterEventId": ids[2]}  # the URL of the first connection; the header says where it got to
    headers = {**signed(server.url, query), "last-event-id": ids[0]}
    url = f"{server.url}{PATH}?AfterEventId={ids[2]}"
    with httpx.Client(timeout=5) as http, http.stream("GET", url, headers=headers) as response:
        lines = response.iter_lines()
        got = [json.loads(_next_message(lines)["data"]) for _ in range(2)]
    assert [key_of(p) for p in got] == keys[1:]


def test_resuming_from_an_unknown_event_id_is_refused(server: RunningServer) -> None:
    with pytest.raises(VigilApiError) as caught, stream(server, after_event_id="no-such-event"):
        pass
    assert (caught.value.status, caught.value.code) == (400, "InvalidParameter")


@pytest.mark.parametrize("unit", ["seconds", "milliseconds"])
def test_resuming_from_a_time_delivers_the_events_from_then_on(server: RunningServer, unit: str) -> None:
    client = server.client()
    schedule_deletion(client)
    server.advance(60)
    since_ms = server.app.services.clock.now_ms() - 1000
    later = [schedule_deletion(client) for _ in range(2)]
    since = since_ms // 1000 if unit == "seconds" else since_ms
    with stream(server, since=since) as events:
        assert [key_of(p) for p in take(events, 2)] == later
        live = schedule_deletion(client)
        assert key_of(next(events)) == live


# -- order, concurrency and gaps -------------------------------------------------------------


def test_events_raised_concurrently_arrive_exactly_once_in_sequence_order(server: RunningServer) -> None:
    threads, each = 4, 10
    with stream(server, {"Name": "Secret:SecretVersion:Created"}) as events:
        workers = [
            threading.Thread(target=_create_secrets, args=(server, f"t{n}", each)) for n in range(threads)
        ]
        for worker in workers:
            worker.start()
        got = take(events, threads * each)
        for worker in workers:
            worker.join()
    in_sequence = [e.event_id for e in server.app.services.events.tail(server.account_id, 0, 1000)]
    assert len({p["id"] for p in got}) == threads * each
    assert [p["id"] for p in got] == [i for i in in_sequence if i in {p["id"] for p in got}]


def _create_secrets(server: RunningServer, prefix: str, count: int) -> None:
    for i in range(count):
        create_secret(server, f"{prefix}/s{i}")


def test_an_event_committed_after_a_later_numbered_one_still_comes_first(server: RunningServer) -> None:
    """On PostgreSQL, A takes sequence number n, B takes n+1 and commits; A commits later. The stream
    holds B back until A arrives (on SQLite, B simply waits for A's write lock)."""
    services = server.app.services
    release, a_raised = threading.Event(), threading.Event()

    def slow_a() -> None:
        with services.db.transaction():
            _raise(server, "key-a")
            a_raised.set()
            release.wait(10)

    with stream(server) as events:
        a = threading.Thread(target=slow_a)
        a.start()
        assert a_raised.wait(10)
        b = threading.Thread(target=_raise, args=(server, "key-b"))
        b.start()
        b.join(0.5)  # committed by now on PostgreSQL; blocked behind A on SQLite
        release.set()
        got = take(events, 2)
        a.join()
        b.join()
    assert [key_of(p) for p in got] == ["key-a", "key-b"]


def _raise(server: RunningServer, key_id: str) -> None:
    services = server.app.services
    services.events.raise_event(
        server.account_id,
        SCHEDULED,
        resource_id=services.events.arn(server.account_id, "key", key_id),
        instance_name=key_id,
        content={"keyId": key_id},
    )


def test_a_number_that_never_commits_is_given_up_after_the_grace_period(server: RunningServer) -> None:
    services = server.app.services
    with quick_stream(server, StreamOptions(grace_s=0.3)) as url:
        client = VigilClient(url, ROOT_AK, ROOT_SECRET)
        with client, client.stream(read_timeout=10) as events:
            with pytest.raises(RuntimeError), services.db.transaction():
                _raise(server, "rolled-back")  # takes a number on PostgreSQL, then gives it back unused
                raise RuntimeError("roll back")
            _raise(server, "kept")
            assert key_of(next(events)) == "kept"


# -- refusals and disconnects ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "IncompleteSignature"),
        ({"secret": "WrongSecret0123456789abcdefghij"}, "SignatureDoesNotMatch"),
        ({"path": "/"}, "SignatureDoesNotMatch"),
        ({"action": "CreateKey"}, "InvalidAction.NotFound"),
    ],
    ids=["unsigned", "wrong-secret", "signed-for-another-path", "signed-for-another-action"],
)
def test_a_request_not_signed_for_the_stream_is_refused(
    server: RunningServer, headers: dict[str, str], code: str
) -> None:
    sent = signed(server.url, **headers) if headers else {}
    with httpx.Client(timeout=5) as http:
        response = http.get(server.url + PATH, headers=sent)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["Code"] == code and response.json()["RequestId"]


def test_only_get_is_served(server: RunningServer) -> None:
    with httpx.Client(timeout=5) as http:
        response = http.post(server.url + PATH, headers=signed(server.url))
    assert response.status_code == 405 and response.json()["Code"] == "MethodNotAllowed"


def test_a_user_needs_the_stream_permission(server: RunningServer) -> None:
    root = server.client()
    root.vigil("CreateUser", {"UserName": "watcher"})
    key = root.vigil("CreateAccessKey", {"UserName": "watcher"})["AccessKey"]
    user = server.client(key["AccessKeyId"], key["AccessKeySecret"])
    with pytest.raises(VigilApiError) as caught, user.stream(read_timeout=10):
        pass
    assert (caught.value.status, caught.value.code) == (403, "Forbidden.RAM")
    assert "vigil:StreamSystemEvents" in caught.value.message
    policy = {
        "Version": "1",
        "Statement": [{"Effect": "Allow", "Action": ["vigil:StreamSystemEvents"], "Resource": "acs:cms:*"}],
    }
    root.vigil("CreatePolicy", {"PolicyName": "watch", "PolicyDocument": json.dumps(policy)})
    root.vigil("AttachPolicyToUser", {"PolicyName": "watch", "UserName": "watcher"})
    with user.stream(read_timeout=10) as events:
        key_id = schedule_deletion(root)
        assert key_of(next(events)) == key_id


def test_the_stream_stops_when_the_client_goes(server: RunningServer) -> None:
    tasks = server.thread.server.server_state.tasks
    with stream(server) as events:
        key_id = schedule_deletion(server.client())
        assert key_of(next(events)) == key_id
        assert tasks
    deadline = time.monotonic() + 5
    while tasks and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not tasks


# -- the CLI and the delay -------------------------------------------------------------------


def test_vigil_events_tail_resumes_and_prints_events(server: RunningServer, tmp_path: Path) -> None:
    client = server.client()
    keys = [schedule_deletion(client) for _ in range(3)]
    create_secret(server, "app/tail")
    first = server.app.services.events.tail(server.account_id, 0)[0].event_id
    vigil = Cli(server.url, tmp_path)
    resumed = vigil.ok(
        "events", "tail", "--after-event-id", first, "--name", SCHEDULED, "--count", "2", "--json"
    )
    assert [key_of(json.loads(line)) for line in resumed.splitlines()] == keys[1:]
    lines = vigil.ok("events", "tail", "--since", "0", "--level", "warn", "--count", "3").splitlines()
    assert [line.split()[3:5] for line in lines] == [["kms", SCHEDULED]] * 3
    assert [line.split()[5].rsplit("/", 1)[1] for line in lines] == keys


def test_the_delay_from_a_kms_call_to_the_stream_is_reported(
    server: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    client = server.client()
    key_ids = [str(client.call("CreateKey")["KeyMetadata"]["KeyId"]) for _ in range(20)]
    after_call, after_commit = [], []
    with stream(server) as events:
        for key_id in key_ids:
            started = time.perf_counter()
            client.call("ScheduleKeyDeletion", {"KeyId": key_id, "PendingWindowInDays": 7})
            answered = time.perf_counter()
            assert key_of(next(events)) == key_id
            arrived = time.perf_counter()
            after_call.append((arrived - started) * 1000)
            after_commit.append((arrived - answered) * 1000)
    with capsys.disabled():
        print(
            f"\n[{server.backend}] KMS call -> event in stream: median {statistics.median(after_call):.1f} ms, "
            f"max {max(after_call):.1f} ms; after the answer: median {statistics.median(after_commit):.1f} ms"
        )


@contextmanager
def quick_stream(server: RunningServer, options: StreamOptions) -> Iterator[str]:
    """A second real server for the same services whose stream runs with ``options``."""
    services = server.app.services
    endpoint = EventStreamEndpoint(
        services,
        Authenticator(services.iam, NonceTable(1 << 10, shared=False)),
        host_id="test",
        options=options,
    )
    thread = ServerThread.start(endpoint)
    try:
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.stop()
