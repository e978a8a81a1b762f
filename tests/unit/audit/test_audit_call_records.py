"""A call's journal line holds the call in a compact form (the hot path); the indexer expands it,
and the result must say exactly what the call's AuditRecord says, key for key, for calls that
succeed, fail, or never authenticate."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from vigil.audit import store
from vigil.audit.calls import CallRecords, CallTrace, expand
from vigil.audit.indexer import decode, row
from vigil.audit.model import AuditRecord
from vigil.audit.redaction import HASH_PREFIX, Redactor
from vigil.errors import InvalidArgument
from vigil.events.model import compact_json
from vigil.iam.model import Principal

ROOT = Principal("1234567890123456", None, None, "LTAIroot000000000001")
USER = Principal("1234567890123456", "alice", "2001", "LTAIalice00000000001")


def _trace(**changes: object) -> CallTrace:
    trace = CallTrace("REQ-1", 1_700_000_000_123, "10.0.0.7", "sdk/1.0", "kms.cn-hangzhou.vigil")
    trace.service, trace.action, trace.rw, trace.api_version = "Kms", "Encrypt", "Read", "2016-01-20"
    trace.params = {"KeyId": "key-abc", "Plaintext": "aGVsbG8="}
    trace.principal = ROOT
    trace.resources = ["acs:kms:cn-hangzhou:1234567890123456:key/key-abc"]
    trace.response = {
        "CiphertextBlob": "VkcB",
        "KeyId": "key-abc",
        "KeyVersionId": "v1",
        "RequestId": "REQ-1",
    }
    for name, value in changes.items():
        setattr(trace, name, value)
    return trace


TRACES = {
    "data plane by root": _trace(),
    "management by a user": _trace(action="CreateKey", rw="Write", principal=USER, resources=[], response={}),
    "refused": _trace(error=InvalidArgument("KeyId must not be empty"), response=None),
    "unauthenticated": _trace(principal=None, claimed_access_key="LTAIclaimed", error=InvalidArgument("bad")),
    "signed answer": _trace(action="AsymmetricSign", response={"Value": "c2ln", "KeyId": "key-abc"}),
}


@pytest.fixture
def calls() -> CallRecords:
    return CallRecords(Redactor(b"salt" * 8), lambda: "cn-hangzhou", lambda *_: "kst-1")


@pytest.mark.parametrize("trace", TRACES.values(), ids=TRACES.keys())
def test_the_compact_journal_line_expands_to_the_calls_record(calls: CallRecords, trace: CallTrace) -> None:
    record = calls.record(trace, "1234567890123456")
    from_line = decode(calls.line(trace, "1234567890123456"))
    assert replace(from_line, event_id=record.event_id) == record
    compact, _ = calls.compact(trace, "1234567890123456")
    event = expand(trace.started_ms, compact)
    laid_out = AuditRecord.from_event(event, event_time_ms=trace.started_ms).to_event()
    assert compact_json(event) == compact_json(laid_out), "expand lays the event out as to_event does"


@pytest.mark.parametrize("trace", TRACES.values(), ids=TRACES.keys())
def test_the_indexer_makes_the_same_row_straight_from_the_line(calls: CallRecords, trace: CallTrace) -> None:
    line = calls.line(trace, "1234567890123456")
    fast = row(line)
    through_record = store.record_rows([decode(line)])[0]
    assert fast[0] != through_record[0], "each expansion makes its own event id"
    record_column = store._INSERT_COLUMNS.index("record")
    same_id = orjson.loads(fast[record_column]) | {"eventId": through_record[0]}
    assert fast[1:record_column] == through_record[1:record_column]
    assert compact_json(same_id) == through_record[record_column]
    assert fast[record_column + 1 :] == through_record[record_column + 1 :]


def test_a_compact_form_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="fields"):
        expand(0, ["too", "short"])


def test_sensitive_values_are_hashed_and_data_plane_calls_name_their_instance(calls: CallRecords) -> None:
    record = calls.record(TRACES["data plane by root"], "1234567890123456")
    assert record.request_parameters["Plaintext"].startswith(HASH_PREFIX)
    assert (record.instance_id, record.resource_name, record.user_name) == ("kst-1", "key-abc", "root")
    signed = calls.record(TRACES["signed answer"], "1234567890123456")
    assert signed.response_elements is not None and signed.response_elements["Value"].startswith(HASH_PREFIX)
    refused = calls.record(TRACES["refused"], "1234567890123456")
    assert (refused.instance_id, refused.error_code) == ("", "InvalidParameter")
