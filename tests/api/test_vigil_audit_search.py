"""SearchAuditEvents, AuditHash and GetAuditStatus against a real server: the product document's five
statements verbatim over real KMS calls, stats, query errors with their column, windows and log
stores, the hash round trip without any value kept in clear, and the journal's health (also while
its disk is full)."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from alibabacloud_kms20160120 import models as kms
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.api.test_actiontrail_lookup import grant, new_user
from tests.api.test_iam_secrets_never_leak import database_bytes
from tests.conftest import RunningServer
from vigil.client import VigilApiError, VigilClient

DAY_MS = 86_400_000
PLAINTEXT = base64.b64encode(b"audit-plaintext-Osprey-7719").decode()
SECRET_VALUE = "secret-value-Marmot-3306-never-in-clear"
CANDIDATE = "candidate-Kestrel-5150-never-in-clear"


def search(client: VigilClient, query: str, **params: Any) -> dict[str, Any]:
    return client.vigil("SearchAuditEvents", {"Query": query, "MaxResults": 100, **params})


def calls(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(eventName, errorCode, resourceName) of each event found, newest first."""
    return [(e["eventName"], e.get("errorCode", ""), e["resourceName"]) for e in body["Events"]]


def refused(call: Any, status: int, code: str, *words: str) -> str:
    with pytest.raises(VigilApiError) as info:
        call()
    error = info.value
    assert (error.status, error.code) == (status, code), error
    for word in words:
        assert word in error.message, error.message
    return error.message


@dataclass(slots=True)
class World:
    server: RunningServer
    root: VigilClient
    disabled: str  # a key refused as disabled
    pending: str  # a key refused as pending deletion
    enabled: str  # a key whose deletion cancel was refused as unavailable
    instance: str  # the KMS instance every key and secret lives in


@pytest.fixture
def world(server: RunningServer) -> World:
    client, root = server.kms(), server.client()

    def new_key() -> str:
        return str(client.create_key(kms.CreateKeyRequest()).body.key_metadata.key_id)

    disabled, pending, enabled = new_key(), new_key(), new_key()
    client.describe_key(kms.DescribeKeyRequest(key_id=disabled))
    blob = client.encrypt(kms.EncryptRequest(key_id=disabled, plaintext=PLAINTEXT)).body.ciphertext_blob
    client.decrypt(kms.DecryptRequest(ciphertext_blob=blob))
    client.disable_key(kms.DisableKeyRequest(key_id=disabled))
    client.schedule_key_deletion(kms.ScheduleKeyDeletionRequest(key_id=pending, pending_window_in_days=7))
    for key_id, code in ((disabled, "Rejected.Disabled"), (pending, "Rejected.PendingDeletion")):
        with pytest.raises(ClientException) as info:
            client.encrypt(kms.EncryptRequest(key_id=key_id, plaintext=PLAINTEXT))
        assert info.value.code == code
    with pytest.raises(ClientException) as info:
        client.cancel_key_deletion(kms.CancelKeyDeletionRequest(key_id=enabled))
    assert info.value.code == "Rejected.Unavailable"
    for name in ("SecretName", "SecretNameBackup", "prod/SecretName"):
        client.create_secret(
            kms.CreateSecretRequest(secret_name=name, secret_data=SECRET_VALUE, version_id="v1")
        )
        client.get_secret_value(kms.GetSecretValueRequest(secret_name=name))
    with pytest.raises(ClientException):
        client.get_secret_value(
            kms.GetSecretValueRequest(secret_name="SecretName", version_stage="ACSNoSuchStage")
        )
    instance = root.vigil("GetCallerIdentity")["DefaultKmsInstanceId"]
    return World(server, root, disabled, pending, enabled, instance)


# -- the five statements of the product document ----------------------------------------------


def test_a_keys_read_calls_are_found_by_its_masked_id(world: World) -> None:
    masked = world.disabled[:-4] + "****"
    statement = f'* AND (event.serviceName: "Kms") AND (event.eventRW: "Read") AND "{masked}"'
    assert calls(search(world.root, statement)) == [
        ("Encrypt", "Rejected.Disabled", world.disabled),
        ("Decrypt", "", world.disabled),
        ("Encrypt", "", world.disabled),
        ("DescribeKey", "", world.disabled),
    ]
    data_plane = search(world.root, statement, InstanceId=world.instance)
    assert calls(data_plane) == [("Decrypt", "", world.disabled), ("Encrypt", "", world.disabled)]
    whole = statement.replace(masked, world.disabled)
    assert calls(search(world.root, whole, InstanceId=world.instance)) == calls(data_plane)
    assert calls(search(world.root, whole)) == calls(search(world.root, statement))


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("Rejected.Disabled", ("Encrypt", "disabled")),
        ("Rejected.PendingDeletion", ("Encrypt", "pending")),
        ("Rejected.Unavailable", ("CancelKeyDeletion", "enabled")),
    ],
    ids=["disabled", "pending-deletion", "unavailable"],
)
def test_refusals_by_key_state_are_found_by_their_error_code(
    world: World, code: str, found: tuple[str, str]
) -> None:
    statement = f'* AND (event.serviceName: "Kms") AND (event.errorCode:"{code}")'
    name, key = found
    assert calls(search(world.root, statement)) == [(name, code, getattr(world, key))]


def test_a_secrets_reads_are_found_by_its_name_as_a_whole_word(world: World) -> None:
    statement = '* AND (event.serviceName: "Kms") AND (event.eventName: "GetSecretValue") AND "SecretName"'
    reads = search(world.root, statement, InstanceId=world.instance)
    assert calls(reads) == [("GetSecretValue", "", "prod/SecretName"), ("GetSecretValue", "", "SecretName")]
    trail = calls(search(world.root, statement))
    assert [(name, resource) for name, _, resource in trail] == [
        ("GetSecretValue", "SecretName"),  # refused: no such version stage
        ("GetSecretValue", "prod/SecretName"),
        ("GetSecretValue", "SecretName"),
    ]
    assert trail[0][1] != "" and trail[1:] == calls(reads)


# -- stats, errors, windows, paging -------------------------------------------------------------


def test_a_stats_query_counts_per_group(world: World) -> None:
    body = search(world.root, "event.serviceName: Kms | stats count() by event.eventName")
    assert body["GroupBy"] == ["event.eventName"] and "Events" not in body
    assert [(row["Values"], row["Count"]) for row in body["Rows"]] == [
        (["GetSecretValue"], 4),
        (["CreateKey"], 3),
        (["CreateSecret"], 3),
        (["Encrypt"], 3),
        (["CancelKeyDeletion"], 1),
        (["Decrypt"], 1),
        (["DescribeKey"], 1),
        (["DisableKey"], 1),
        (["ScheduleKeyDeletion"], 1),
    ]
    errors = search(world.root, "event.errorCode: * | stats count() by event.serviceName, event.errorCode")
    assert errors["GroupBy"] == ["event.serviceName", "event.errorCode"]
    assert {tuple(row["Values"]): row["Count"] for row in errors["Rows"]} == {
        ("Kms", "Rejected.Disabled"): 1,
        ("Kms", "Rejected.PendingDeletion"): 1,
        ("Kms", "Rejected.Unavailable"): 1,
        ("Kms", "Forbidden.ResourceNotFound"): 1,
    }
    [total] = search(world.root, "* | stats count()", InstanceId=world.instance)["Rows"]
    assert total == {"Values": [], "Count": 5}  # Encrypt, Decrypt and three GetSecretValue


def test_a_query_error_names_its_column(world: World) -> None:
    message = refused(
        lambda: search(world.root, '* AND (event.serviceName: "Kms"'), 400, "InvalidParameter.Query"
    )
    assert message == "query: column 32: expected AND, OR or ')' after \"Kms\", found end of input"
    message = refused(lambda: search(world.root, "event.servicename: Kms"), 400, "InvalidParameter.Query")
    assert message == (
        "query: column 7: expected a key of an ActionTrail event, found 'servicename' "
        "(did you mean event.serviceName?)"
    )


def test_the_window_takes_iso_times_or_milliseconds_and_reaches_back_90_or_180_days(world: World) -> None:
    now = int(world.root.vigil("GetClock")["NowMs"])
    both = search(world.root, "event.errorCode: *", StartTime=str(now - 3_600_000), EndTime=str(now))
    assert len(both["Events"]) == 4
    again = search(world.root, "event.errorCode: *", StartTime=both["StartTime"], EndTime=both["EndTime"])
    assert (again["StartTime"], again["EndTime"]) == (both["StartTime"], both["EndTime"])
    assert again["Events"] == both["Events"]
    assert search(world.root, "event.errorCode: *", EndTime=str(now - 3_600_000))["Events"] == []
    world.server.advance(100 * 86_400)
    now = int(world.root.vigil("GetClock")["NowMs"])
    refused(
        lambda: search(world.root, "*", StartTime=str(now - 91 * DAY_MS)), 400, "InvalidParameter", "90 days"
    )
    kept = search(world.root, "Encrypt", StartTime=str(now - 101 * DAY_MS), InstanceId=world.instance)
    assert [name for name, _, _ in calls(kept)] == ["Encrypt"]
    # the trail holds that Encrypt too, but its reads reach back only 90 days: it is out of their sight
    trail_start = str(now - 90 * DAY_MS + 60_000)
    assert search(world.root, "event.eventName: Encrypt", StartTime=trail_start)["Events"] == []
    calls_in_sight = search(
        world.root, "event.serviceName: Kms AND event.eventType: ApiCall", StartTime=trail_start
    )
    assert calls_in_sight["Events"] == []
    refused(
        lambda: search(world.root, "*", StartTime=str(now - 181 * DAY_MS), InstanceId=world.instance),
        400,
        "InvalidParameter",
        "180 days",
    )


def test_the_default_window_is_the_last_24_hours(world: World) -> None:
    assert len(search(world.root, "event.errorCode: *")["Events"]) == 4
    world.server.advance(86_400 + 60)
    assert search(world.root, "event.errorCode: *")["Events"] == []


def test_pages_follow_next_token_in_either_direction(world: World) -> None:
    every = search(world.root, "event.serviceName: Kms")["Events"]
    assert len(every) == 18 and "NextToken" not in search(world.root, "event.serviceName: Kms")

    def walk(direction: str) -> list[str]:
        ids, token = [], None
        while True:
            body = search(
                world.root, "event.serviceName: Kms", MaxResults=4, Direction=direction, NextToken=token
            )
            ids += [e["eventId"] for e in body["Events"]]
            token = body.get("NextToken")
            if token is None:
                return ids

    assert walk("BACKWARD") == [e["eventId"] for e in every]
    assert walk("FORWARD") == [e["eventId"] for e in reversed(every)]


def test_bad_parameters_are_refused_by_name(world: World) -> None:
    refused(lambda: search(world.root, "*", MaxResults=101), 400, "InvalidParameter", "MaxResults")
    refused(lambda: search(world.root, "*", NextToken="nope"), 400, "InvalidParameter.NextToken")
    refused(lambda: search(world.root, "*", StartTime="last week"), 400, "InvalidParameter", "StartTime")
    refused(lambda: search(world.root, "*", InstanceId="kst-none"), 404, "Forbidden.InstanceNotFound")


def test_searching_is_authorised_on_the_trail_or_on_the_instance(world: World) -> None:
    user = world.server.client(*new_user(world.server, "auditor"))
    refused(lambda: search(user, "*"), 403, "Forbidden.RAM", "vigil:SearchAuditEvents")
    grant(world.server, "auditor", "trail", ["vigil:SearchAuditEvents"], "acs:actiontrail:*:*:trail/*")
    found = search(user, "event.errorCode: *")["Events"]
    assert [e["errorCode"] for e in found][:1] == ["Forbidden.RAM"] and len(found) == 5  # its own refusal too
    refused(
        lambda: search(user, "*", InstanceId=world.instance),
        403,
        "Forbidden.RAM",
        f"instance/{world.instance}",
    )
    grant(
        world.server,
        "auditor",
        "instance",
        ["vigil:SearchAuditEvents"],
        f"acs:kms:*:*:instance/{world.instance}",
    )
    assert len(search(user, "*", InstanceId=world.instance)["Events"]) == 5


# -- AuditHash ----------------------------------------------------------------------------------


def test_audit_hash_matches_the_plaintext_kept_in_an_encrypt_record(world: World) -> None:
    [encrypt] = search(world.root, "event.eventName: Encrypt", InstanceId=world.instance)["Events"]
    stored = encrypt["requestParameters"]["Plaintext"]
    assert stored.startswith("hmac-sha256:") and PLAINTEXT not in stored
    assert world.root.vigil("AuditHash", {"Value": PLAINTEXT})["Hash"] == stored
    assert world.root.vigil("AuditHash", {"Value": PLAINTEXT, "Hash": stored})["Matches"] is True
    assert world.root.vigil("AuditHash", {"Value": CANDIDATE, "Hash": stored})["Matches"] is False
    [created] = search(world.root, 'event.eventName: CreateSecret AND event.resourceName: "SecretName"')[
        "Events"
    ]
    secret = world.root.vigil(
        "AuditHash", {"Value": SECRET_VALUE, "Hash": created["requestParameters"]["SecretData"]}
    )
    assert secret["Matches"] is True


def test_no_value_reaches_a_record_the_journal_or_the_database(world: World) -> None:
    world.root.vigil("AuditHash", {"Value": CANDIDATE})
    refused(
        lambda: world.root.vigil("AuditHash", {"Value": CANDIDATE, "Hash": "md5:abc"}),
        400,
        "InvalidParameter",
    )
    [refusal, record] = search(world.root, "event.eventName: AuditHash")["Events"]
    assert refusal["errorCode"] == "InvalidParameter" and CANDIDATE not in refusal["errorMessage"]
    assert record["requestParameters"]["Value"] == world.root.vigil("AuditHash", {"Value": CANDIDATE})["Hash"]
    everything = json.dumps(
        [
            search(world.root, "*", MaxResults=100)["Events"],
            search(world.root, "*", InstanceId=world.instance)["Events"],
        ]
    )
    journal = b"".join(p.read_bytes() for p in (world.server.data_dir / "audit-journal").glob("*.jsonl"))
    stored = database_bytes(world.server)
    for value in (CANDIDATE, SECRET_VALUE, PLAINTEXT):
        assert value not in everything
        assert value.encode() not in journal
        assert value.encode() not in stored and value.lower().encode() not in stored


def test_audit_hash_needs_root_or_a_policy_allowing_it(world: World) -> None:
    user = world.server.client(*new_user(world.server, "checker"))
    grant(world.server, "checker", "search-only", ["vigil:SearchAuditEvents"])
    refused(lambda: user.vigil("AuditHash", {"Value": CANDIDATE}), 403, "Forbidden.RAM", "vigil:AuditHash")
    grant(world.server, "checker", "hash", ["vigil:AuditHash"])
    assert user.vigil("AuditHash", {"Value": CANDIDATE})["Hash"].startswith("hmac-sha256:")
    refused(lambda: user.vigil("AuditHash", {}), 400, "MissingParameter", "Value")


# -- GetAuditStatus -----------------------------------------------------------------------------


def test_audit_status_counts_the_records_written(world: World) -> None:
    first = world.root.vigil("GetAuditStatus")
    second = world.root.vigil("GetAuditStatus")
    assert second["RecordsWritten"] == first["RecordsWritten"] + 1
    assert (second["RecordsFailed"], second["LastFailure"], second["Failing"]) == (0, "", False)
    assert second["Segment"].endswith(".jsonl")


def test_audit_status_reports_the_journal_not_yet_indexed(world: World) -> None:
    trail = world.server.app.services.audit.trail
    segment = trail.journal.current_segment()
    assert segment is not None
    waiting = world.root.vigil("GetAuditStatus")["IndexBacklogBytes"]
    assert isinstance(waiting, int) and 0 <= waiting <= segment.stat().st_size
    trail.catch_up()
    indexed = segment.stat().st_size
    assert trail.indexer.unindexed_bytes() == 0
    with segment.open("ab") as f:  # a line the indexer has not seen: 10 bytes wait
        f.write(b"123456789\n")
    assert trail.indexer.unindexed_bytes() == segment.stat().st_size - indexed == 10


def _fill_the_journals_disk(server: RunningServer) -> None:
    """Point the open journal segment at /dev/full, so the next write fails with ENOSPC."""
    segment = server.app.services.audit.trail.journal.current_segment()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        if target == str(segment):
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, int(name))
            os.close(full)
            return
    pytest.fail(f"no open descriptor for {segment}")


def test_a_full_disk_refuses_calls_and_audit_status_still_answers(world: World) -> None:
    world.root.vigil("GetCallerIdentity")
    _fill_the_journals_disk(world.server)
    refused(lambda: world.root.vigil("GetCallerIdentity"), 503, "AuditUnavailable", "could not be written")
    status = world.root.vigil("GetAuditStatus")
    assert (status["Failing"], status["RecordsFailed"]) == (True, 1)
    assert status["LastFailure"] == os.strerror(28)  # ENOSPC
    assert world.root.vigil("GetCallerIdentity")["AccountId"] == world.server.account_id
    assert world.root.vigil("GetAuditStatus")["Failing"] is False
