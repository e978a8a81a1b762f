"""CMS event rules end to end: rules, targets and contacts configured with the official CMS SDK,
events caused with the official KMS SDK, deliveries received by real local receivers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alibabacloud_cms20190101 import models as cms
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.api.cms_support import RecordingCms, assert_shape, cms_client
from tests.conftest import SEED_PAYLOAD_KEYS, RunningServer, ServerFactory
from vigil.alerting.model import NotificationRecord
from vigil.alerting.records import RecordFilter
from vigil.settings import Secret
from vigil.testing import LocalReceiver, Reply, SmtpSink
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    with LocalReceiver() as r:
        yield r


@pytest.fixture
def client(server: RunningServer) -> RecordingCms:
    return cms_client(server)


def put_rule(client: RecordingCms, name: str, *, silence: int = 0, **pattern: Any) -> None:
    pattern.setdefault("product", "KMS")
    client.put_event_rule(
        cms.PutEventRuleRequest(
            rule_name=name,
            event_type="SYSTEM",
            state="ENABLED",
            silence_time=silence,
            event_pattern=[cms.PutEventRuleRequestEventPattern(**pattern)],
        )
    )


def webhook_target(
    client: RecordingCms, rule: str, url: str, target_id: str = "1", method: str = "POST"
) -> Any:
    return client.put_event_rule_targets(
        cms.PutEventRuleTargetsRequest(
            rule_name=rule,
            webhook_parameters=[
                cms.PutEventRuleTargetsRequestWebhookParameters(
                    id=target_id, protocol="http", method=method, url=url
                )
            ],
        )
    )


def schedule_deletion(server: RunningServer) -> str:
    from alibabacloud_kms20160120 import models as kms

    kms_client = server.kms()
    key_id: str = kms_client.create_key(kms.CreateKeyRequest()).body.key_metadata.key_id
    kms_client.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    return key_id


def records(server: RunningServer, **filters: Any) -> list[NotificationRecord]:
    return server.app.services.alerting.service.records(server.account_id, RecordFilter(**filters), None, 100)


def wait_until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not become true in time")
        time.sleep(0.02)


def settled(server: RunningServer, count: int = 1) -> list[NotificationRecord]:
    """Every record once there are ``count`` and none is pending (the worker delivers within a second)."""

    def done() -> bool:
        found = records(server)
        return len(found) >= count and all(r.status != "PENDING" for r in found)

    wait_until(done)
    return records(server)


def test_a_scheduled_key_deletion_reaches_the_rule_webhook_signed_and_recorded(
    server: RunningServer, client: RecordingCms, receiver: LocalReceiver
) -> None:
    put_rule(
        client, "key-deletion", name_list=["Key:DeleteKey:ScheduleDeletion"], level_list=["WARN", "INFO"]
    )
    assert_shape(client, "PutEventRuleResponseBody")
    webhook_target(client, "key-deletion", receiver.url)
    assert_shape(client, "PutEventRuleTargetsResponseBody")
    began = time.monotonic()
    key_id = schedule_deletion(server)
    [request] = receiver.wait_for(1, timeout_s=2)
    assert time.monotonic() - began < 1.5
    stamp, signature = request.headers[TIMESTAMP_HEADER.lower()], request.headers[SIGNATURE_HEADER.lower()]
    assert verify(server.app.services.webhook_key, stamp, request.body, signature)
    event = request.json()
    assert set(event) == SEED_PAYLOAD_KEYS
    assert event["name"] == "Key:DeleteKey:ScheduleDeletion" and event["product"] == "kms"
    assert event["resourceId"].endswith(f":key/{key_id}") and event["userId"] == server.account_id
    assert event["content"]["eventId"]
    [record] = settled(server)
    assert (record.status, record.attempts, record.source_kind, record.source_name) == (
        "SUCCESS",
        1,
        "rule",
        "key-deletion",
    )
    assert record.event_id == event["id"] and record.target_id == "1" and record.latency_ms is not None
    assert json.loads(record.content) == event


def test_rule_queries_return_the_cms_shapes(server: RunningServer, client: RecordingCms) -> None:
    put_rule(
        client,
        "rotation",
        silence=600,
        name_list=["Secret:RotateSecret:Failure"],
        level_list=["CRITICAL"],
        event_type_list=["Exception"],
        status_list=["Failed"],
        custom_filters="db",
        sqlfilter="secretName = 'db-main'",
    )
    webhook_target(client, "rotation", "http://127.0.0.1:9/hook", "7", "GET")
    listed = client.describe_event_rule_list(cms.DescribeEventRuleListRequest(name_prefix="rot")).body
    assert_shape(client, "DescribeEventRuleListResponseBody")
    assert listed.total == 1 and listed.success is True
    [rule] = listed.event_rules.event_rule
    assert (rule.name, rule.silence_time, rule.state, rule.event_type) == (
        "rotation",
        600,
        "ENABLED",
        "SYSTEM",
    )
    [pattern] = rule.event_pattern.event_pattern
    assert pattern.name_list.name_list == ["Secret:RotateSecret:Failure"]
    assert pattern.sqlfilter == "secretName = 'db-main'"
    attribute = client.describe_event_rule_attribute(
        cms.DescribeEventRuleAttributeRequest(rule_name="rotation")
    ).body
    assert_shape(client, "DescribeEventRuleAttributeResponseBody")
    assert attribute.result.event_pattern.status_list.status_list == ["Failed"]
    assert attribute.result.event_pattern.keyword_filter_obj.keywords.keyword == ["db"]
    targets = client.describe_event_rule_target_list(
        cms.DescribeEventRuleTargetListRequest(rule_name="rotation")
    )
    assert_shape(client, "DescribeEventRuleTargetListResponseBody")
    [hook] = targets.body.webhook_parameters.webhook_parameter
    assert (hook.id, hook.method, hook.url) == ("7", "GET", "http://127.0.0.1:9/hook")
    client.disable_event_rules(cms.DisableEventRulesRequest(rule_names=["rotation"]))
    disabled = client.describe_event_rule_list(cms.DescribeEventRuleListRequest(is_enable=False)).body
    assert [r.name for r in disabled.event_rules.event_rule] == ["rotation"]
    client.enable_event_rules(cms.EnableEventRulesRequest(rule_names=["rotation"]))
    client.delete_event_rule_targets(cms.DeleteEventRuleTargetsRequest(rule_name="rotation", ids=["7"]))
    empty = client.describe_event_rule_target_list(
        cms.DescribeEventRuleTargetListRequest(rule_name="rotation")
    )
    assert empty.body.webhook_parameters.webhook_parameter == []
    client.delete_event_rules(cms.DeleteEventRulesRequest(rule_names=["rotation"]))
    assert client.describe_event_rule_list(cms.DescribeEventRuleListRequest()).body.total == 0


@pytest.mark.parametrize(
    ("request_args", "code", "words"),
    [
        ({"sqlfilter": "secretName = "}, "InvalidParameter.SQLFilter", "column 14"),
        ({"sqlfilter": "a = 'x' and"}, "InvalidParameter.SQLFilter", "column 12"),
        ({"level_list": ["LOUD"]}, "InvalidParameter", "LevelList"),
        ({"event_type_list": ["Nonsense"]}, "InvalidParameter", "EventTypeList"),
    ],
    ids=["sql-missing-value", "sql-dangling-and", "unknown-level", "unknown-event-type"],
)
def test_bad_rules_are_refused_with_the_fault_named_and_nothing_stored(
    client: RecordingCms, request_args: dict[str, Any], code: str, words: str
) -> None:
    with pytest.raises(ClientException) as caught:
        put_rule(client, "bad", **request_args)
    assert caught.value.code == code and words in caught.value.message
    assert client.describe_event_rule_list(cms.DescribeEventRuleListRequest()).body.total == 0


def test_targets_of_an_unknown_rule_are_refused(client: RecordingCms) -> None:
    with pytest.raises(ClientException) as caught:
        webhook_target(client, "missing", "http://127.0.0.1:9/hook")
    assert "missing" in caught.value.message


FILTERS: list[tuple[str, dict[str, Any], bool]] = [
    ("product", {"product": "kms"}, True),
    ("other-product", {"product": "Kafka"}, False),
    ("name", {"name_list": ["Key:DeleteKey:ScheduleDeletion"]}, True),
    ("other-name", {"name_list": ["Key:DeleteKey:ActualDeletion"]}, False),
    ("level", {"level_list": ["WARN"]}, True),
    ("other-level", {"level_list": ["CRITICAL"]}, False),
    ("event-type", {"event_type_list": ["StatusNotification"]}, True),
    ("other-event-type", {"event_type_list": ["Exception"]}, False),
    ("status", {"status_list": ["Normal"]}, True),
    ("other-status", {"status_list": ["Failed"]}, False),
    ("keyword", {"custom_filters": "nothing-here,deletekey"}, True),
    ("other-keyword", {"custom_filters": "rotatesecret"}, False),
    ("sql", {"sqlfilter": "keyId like 'key-%' and plannedDeleteTime is not null"}, True),
    ("other-sql", {"sqlfilter": "keyId = 'key-someone-else' or plannedDeleteTime is null"}, False),
]


def test_every_filter_kind_decides_which_rules_deliver(
    server: RunningServer, client: RecordingCms, receiver: LocalReceiver
) -> None:
    for name, pattern, _ in FILTERS:
        put_rule(client, name, **pattern)
        webhook_target(client, name, f"{receiver.url}?rule={name}")
    schedule_deletion(server)
    expected = sorted(name for name, _, matches in FILTERS if matches)
    settled_records = settled(server, len(expected))
    assert sorted(r.source_name for r in settled_records) == expected
    assert sorted(r.path.split("rule=")[1] for r in receiver.wait_for(len(expected))) == expected


def test_silence_time_holds_back_the_same_event_on_the_same_resource(
    server: RunningServer, client: RecordingCms, receiver: LocalReceiver
) -> None:
    from alibabacloud_kms20160120 import models as kms

    put_rule(client, "quiet", silence=3600, name_list=["Key:DeleteKey:ScheduleDeletion"])
    webhook_target(client, "quiet", receiver.url)
    key_id = schedule_deletion(server)
    receiver.wait_for(1)
    kms_client = server.kms()
    kms_client.cancel_key_deletion(kms.CancelKeyDeletionRequest(key_id=key_id))
    kms_client.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    server.advance(60)
    assert len(receiver.requests) == 1 and len(records(server)) == 1
    server.advance(3600)
    kms_client.cancel_key_deletion(kms.CancelKeyDeletionRequest(key_id=key_id))
    kms_client.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    receiver.wait_for(2)
    schedule_deletion(server)  # another key: not held back by the first key's silence
    receiver.wait_for(3)


def test_a_failing_target_is_retried_with_backoff_without_resending_to_the_others(
    server: RunningServer, client: RecordingCms
) -> None:
    with LocalReceiver(Reply(500), Reply(503)) as flaky, LocalReceiver() as steady:
        put_rule(client, "both", name_list=["Key:DeleteKey:ScheduleDeletion"])
        webhook_target(client, "both", flaky.url, "flaky")
        webhook_target(client, "both", steady.url, "steady")
        schedule_deletion(server)
        flaky.wait_for(1)
        steady.wait_for(1)
        wait_until(lambda: any(r.target_id == "flaky" and r.attempts == 1 for r in records(server)))
        server.advance(3)  # past the first backoff (2 s ± 20 %)
        flaky.wait_for(2)
        wait_until(lambda: any(r.target_id == "flaky" and r.attempts == 2 for r in records(server)))
        server.advance(6)
        flaky.wait_for(3)
        done = {r.target_id: r for r in settled(server, 2)}
        assert (done["flaky"].status, done["flaky"].attempts) == ("SUCCESS", 3)
        assert "HTTP 503" in done["flaky"].last_error or done["flaky"].last_error == ""
        assert (done["steady"].status, done["steady"].attempts) == ("SUCCESS", 1)
        assert len(steady.requests) == 1
        first, *retries = flaky.requests
        assert all(r.headers["x-vigil-delivery"] == first.headers["x-vigil-delivery"] for r in retries)


def test_a_target_that_keeps_failing_ends_fail_after_the_configured_attempts(
    start_server: ServerFactory,
) -> None:
    server = start_server(delivery_attempts=2, delivery_backoff_seconds=1.0)
    client = cms_client(server)
    with LocalReceiver(default=Reply(500)) as broken:
        put_rule(client, "broken", name_list=["Key:DeleteKey:ScheduleDeletion"])
        webhook_target(client, "broken", broken.url)
        schedule_deletion(server)
        broken.wait_for(1)
        wait_until(lambda: records(server)[0].attempts == 1)
        server.advance(2)
        [record] = settled(server)
        assert (record.status, record.attempts) == ("FAIL", 2)
        server.advance(600)
        assert len(broken.requests) == 2


def test_targets_that_cannot_work_are_recorded_invalid_and_never_retried(
    server: RunningServer, client: RecordingCms
) -> None:
    put_rule(client, "broken-targets", name_list=["Key:DeleteKey:ScheduleDeletion"])
    webhook_target(client, "broken-targets", "ftp://example.invalid/hook", "bad-url")
    client.put_event_rule_targets(
        cms.PutEventRuleTargetsRequest(
            rule_name="broken-targets",
            contact_parameters=[
                cms.PutEventRuleTargetsRequestContactParameters(id="2", contact_group_name="nobody")
            ],
        )
    )
    schedule_deletion(server)
    found = {r.target_id: r for r in settled(server, 2)}
    assert found["bad-url"].status == "INVALID" and found["bad-url"].attempts == 0
    assert found["2"].status == "INVALID" and "nobody" in found["2"].last_error
    server.advance(3600)
    assert {r.status for r in records(server)} == {"INVALID"}


def test_contact_groups_fan_out_to_email_and_chat_and_skip_disabled_contacts(
    start_server: ServerFactory,
) -> None:
    with SmtpSink() as smtp, LocalReceiver() as chat:
        server = start_server(smtp_url=Secret(f"smtp://127.0.0.1:{smtp.port}?from=vigil@example.com"))
        client = cms_client(server)
        client.put_contact(
            cms.PutContactRequest(
                contact_name="alice",
                describe="on call",
                channels=cms.PutContactRequestChannels(mail="alice@example.com", ding_web_hook=chat.url),
            )
        )
        assert_shape(client, "PutContactResponseBody")
        client.put_contact(
            cms.PutContactRequest(
                contact_name="bob",
                describe="away",
                channels=cms.PutContactRequestChannels(mail="bob@example.com"),
            )
        )
        client.put_contact_group(
            cms.PutContactGroupRequest(contact_group_name="ops", contact_names=["alice", "bob"])
        )
        server.client().vigil("DisableContact", {"ContactName": "bob"})
        contacts = client.describe_contact_list(cms.DescribeContactListRequest()).body
        assert_shape(client, "DescribeContactListResponseBody")
        assert contacts.total == 2
        alice = next(c for c in contacts.contacts.contact if c.name == "alice")
        assert alice.channels.mail == "alice@example.com" and alice.contact_groups.contact_group == ["ops"]
        groups = client.describe_contact_group_list(cms.DescribeContactGroupListRequest()).body
        assert_shape(client, "DescribeContactGroupListResponseBody")
        assert groups.contact_group_list.contact_group[0].contacts.contact == ["alice", "bob"]
        put_rule(client, "page-ops", name_list=["Key:DeleteKey:ScheduleDeletion"])
        client.put_event_rule_targets(
            cms.PutEventRuleTargetsRequest(
                rule_name="page-ops",
                contact_parameters=[
                    cms.PutEventRuleTargetsRequestContactParameters(id="1", contact_group_name="ops")
                ],
            )
        )
        key_id = schedule_deletion(server)
        [mail] = smtp.wait_for(1)
        assert list(mail.recipients) == ["alice@example.com"]
        assert "Key:DeleteKey:ScheduleDeletion" in mail.message()["Subject"]
        [message] = chat.wait_for(1)
        assert key_id in message.body.decode()
        by_channel = {r.channel: r for r in settled(server, 3)}
        assert by_channel["email"].status == "SUCCESS" and by_channel["chat"].status == "SUCCESS"
        assert by_channel["contact"].status == "INVALID" and "disabled" in by_channel["contact"].last_error


def test_a_custom_rule_delivers_custom_events(
    server: RunningServer, client: RecordingCms, receiver: LocalReceiver
) -> None:
    client.put_event_rule(
        cms.PutEventRuleRequest(
            rule_name="deploys",
            event_type="CUSTOM",
            silence_time=0,
            event_pattern=[cms.PutEventRuleRequestEventPattern(name_list=["deploy"], custom_filters="prod")],
        )
    )
    webhook_target(client, "deploys", receiver.url)
    client.put_custom_event(
        cms.PutCustomEventRequest(
            event_info=[
                cms.PutCustomEventRequestEventInfo(event_name="deploy", content='{"env": "prod"}'),
                cms.PutCustomEventRequestEventInfo(event_name="deploy", content='{"env": "staging"}'),
            ]
        )
    )
    [request] = receiver.wait_for(1)
    assert request.json()["name"] == "deploy" and json.loads(request.json()["content"]) == {"env": "prod"}
    time.sleep(0.2)
    assert len(receiver.requests) == 1


def test_delivery_records_are_kept_three_months(
    server: RunningServer, client: RecordingCms, receiver: LocalReceiver
) -> None:
    put_rule(client, "kept", name_list=["Key:DeleteKey:ScheduleDeletion"])
    webhook_target(client, "kept", receiver.url)
    schedule_deletion(server)
    settled(server)
    server.advance(91 * 86_400)
    assert len(records(server)) == 1, "three months are at least 91 days"
    server.advance(2 * 86_400)
    assert records(server) == []


def test_log_and_queue_targets_append_to_a_file_a_redis_stream_and_a_nats_subject(
    server: RunningServer, client: RecordingCms
) -> None:
    import asyncio
    import threading
    import uuid

    import nats
    import redis

    with redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=2) as broker:
        try:
            broker.ping()
        except redis.RedisError:
            pytest.skip("REDIS ON 127.0.0.1:6379 IS NOT REACHABLE: the queue target test cannot run")
        stream, subject = f"vigil-test-{uuid.uuid4().hex[:8]}", f"vigil.test.{uuid.uuid4().hex[:8]}"
        received: list[bytes] = []
        ready = threading.Event()

        async def listen() -> None:
            nc = await nats.connect("nats://127.0.0.1:4222")
            try:
                sub = await nc.subscribe(subject)
                await nc.flush()
                ready.set()
                received.append((await sub.next_msg(timeout=5)).data)
            finally:
                await nc.close()

        listener = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
        listener.start()
        assert ready.wait(5), "NATS ON 127.0.0.1:4222 IS NOT REACHABLE"
        put_rule(client, "sinks", name_list=["Key:DeleteKey:ScheduleDeletion"])
        client.put_event_rule_targets(
            cms.PutEventRuleTargetsRequest(
                rule_name="sinks",
                sls_parameters=[
                    cms.PutEventRuleTargetsRequestSlsParameters(
                        id="log", region="cn-hangzhou", project="audit", log_store="kms"
                    )
                ],
                mns_parameters=[
                    cms.PutEventRuleTargetsRequestMnsParameters(
                        id="redis", region="redis://127.0.0.1:6379/0", queue=stream
                    ),
                    cms.PutEventRuleTargetsRequestMnsParameters(
                        id="nats", region="nats://127.0.0.1:4222", topic=subject
                    ),
                ],
            )
        )
        key_id = schedule_deletion(server)
        found = {r.target_id: r for r in settled(server, 3)}
        assert {r.status for r in found.values()} == {"SUCCESS"}, found
        lines = (server.data_dir / "event-logs" / "audit" / "kms.jsonl").read_text().splitlines()
        assert len(lines) == 1 and key_id in json.loads(lines[0])["resourceId"]
        entries = broker.xrange(stream)
        broker.delete(stream)
        assert len(entries) == 1 and key_id in entries[0][1][b"event"].decode()
        listener.join(timeout=5)
        assert received and key_id in received[0].decode()
