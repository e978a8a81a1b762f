"""The audit record as ActionTrail shows it: the event JSON's keys and values, and reading it back."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vigil.audit.model import AuditRecord, EventRW, ServiceName, canonical, event_time, parse_event_time
from vigil.errors import InvalidArgument

RECORD = AuditRecord(
    event_id="0190f4c2-7a1e-7c3d-9f00-123456789abc",
    account_id="1234567890123456",
    event_time_ms=1_704_067_200_123,
    service_name="Kms",
    event_name="Encrypt",
    event_rw="Read",
    event_type="ApiCall",
    event_source="kms.cn-hangzhou.aliyuncs.com",
    request_id="req-1",
    acs_region="cn-hangzhou",
    source_ip="10.0.3.17",
    user_agent="AlibabaCloud Python",
    identity_type="ram-user",
    principal_id="2081",
    user_name="alice",
    access_key_id="LTAI5tAlice",
    resource_type="ACS::KMS::Key",
    resource_name="key-abc",
    request_parameters={"KeyId": "key-abc", "Plaintext": "******"},
    response_elements={"KeyId": "key-abc"},
    api_version="2016-01-20",
)

EVENT_KEYS = {
    "eventId", "eventVersion", "eventName", "eventRW", "eventType", "eventSource", "eventCategory", "serviceName",
    "eventTime", "requestId", "acsRegion", "sourceIpAddress", "userAgent", "userIdentity", "requestParameters",
    "responseElements", "resourceName", "resourceType", "isGlobal", "apiVersion",
}  # fmt: skip


def test_a_successful_call_has_every_actiontrail_key_and_no_error_keys() -> None:
    event = RECORD.to_event()
    assert set(event) == EVENT_KEYS
    assert event["eventVersion"] == "1"
    assert event["eventCategory"] == "Management"
    assert event["isGlobal"] is False
    assert event["eventTime"] == "2024-01-01T00:00:00Z"
    assert event["userIdentity"] == {
        "type": "ram-user",
        "principalId": "2081",
        "accountId": "1234567890123456",
        "accessKeyId": "LTAI5tAlice",
        "userName": "alice",
    }


def test_a_failed_call_carries_error_code_and_message() -> None:
    event = replace(RECORD, error_code="Rejected.Disabled", error_message="The key is disabled.").to_event()
    assert event["errorCode"] == "Rejected.Disabled"
    assert event["errorMessage"] == "The key is disabled."


def test_reading_the_event_back_gives_the_record() -> None:
    failed = replace(RECORD, error_code="Rejected.Disabled", error_message="disabled", instance_id="kst-1")
    back = AuditRecord.from_event(failed.to_event(), event_time_ms=failed.event_time_ms, instance_id="kst-1")
    assert back == failed


def test_reading_an_event_without_its_time_keeps_whole_seconds() -> None:
    back = AuditRecord.from_event(RECORD.to_event())
    assert back.event_time_ms == 1_704_067_200_000


@pytest.mark.parametrize(
    "event",
    [{}, {"eventId": 7, "eventTime": "2024-01-01T00:00:00Z"}, {"eventId": "e", "eventTime": "yesterday"}],
    ids=["empty", "id-not-a-string", "time-not-iso"],
)
def test_an_event_without_an_id_or_a_readable_time_is_refused(event: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        AuditRecord.from_event(event)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_704_067_200_999, "2024-01-01T00:00:00Z"),
        (1_704_067_201_000, "2024-01-01T00:00:01Z"),
    ],
    ids=["epoch", "milliseconds-dropped", "next-second"],
)
def test_event_time_is_utc_to_the_second(ms: int, text: str) -> None:
    assert event_time(ms) == text


def test_event_time_reads_offsets_and_fractions() -> None:
    assert parse_event_time("2024-01-01T08:00:00.250+08:00") == 1_704_067_200_250


@pytest.mark.parametrize(
    ("value", "expected"),
    [("kms", "Kms"), ("KMS", "Kms"), ("Kms", "Kms"), ("Ecs", "Ecs"), ("actiontrail", "Actiontrail")],
    ids=["lower", "upper", "exact", "unknown-kept", "lower-long"],
)
def test_an_enumerated_value_is_spelled_as_its_member(value: str, expected: str) -> None:
    assert canonical(value, ServiceName) == expected


def test_event_rw_values_are_read_and_write() -> None:
    assert canonical("write", EventRW) == "Write"
