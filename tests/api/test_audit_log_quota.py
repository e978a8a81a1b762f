"""The KMS instance log store and its quota: data-plane records count against it, the 70 / 90 / 100 %
crossings raise Instance:Quota:Log:<pct>% once each (re-armed when retention frees space, kept
across restarts), and a full store either stops logging (the records go to the account's trail)
or refuses data-plane calls, as VIGIL_AUDIT_LOG_FULL says. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.api.audit_records_support import stored_records
from tests.conftest import RunningServer, ServerFactory
from vigil.audit import store
from vigil.events.model import SystemEvent
from vigil.events.query import EventFilter
from vigil.instances.model import GIB

QUOTA = 12_000
DAY = 86_400


def log_events(server: RunningServer, pct: int) -> list[SystemEvent]:
    f = EventFilter(0, 2**62, name=f"Instance:Quota:Log:{pct}%")
    return server.app.services.events.search(server.account_id, f, 1, 100)


def usage(server: RunningServer, instance_id: str) -> tuple[int, int]:
    """(the running total, the sum of the instance's records): the two must agree."""
    services = server.app.services
    services.audit.trail.catch_up()
    with services.db.transaction(write=False) as tx:
        return store.log_usage(tx, instance_id), store.instance_log_bytes(tx, instance_id)


def encrypt(kms: Any, key_id: str) -> None:
    kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext="aGVsbG8="))


def fill_to(server: RunningServer, kms: Any, key_id: str, instance_id: str, pct: int) -> int:
    """Encrypt until the instance's log store holds at least ``pct`` % of QUOTA; returns the calls made."""
    calls = 0
    while usage(server, instance_id)[0] * 100 < pct * QUOTA:
        encrypt(kms, key_id)
        calls += 1
        assert calls < 200, "the log store never filled"
    return calls


def new_key(kms: Any) -> tuple[str, str]:
    meta = kms.create_key(models.CreateKeyRequest()).body.key_metadata
    return meta.key_id, meta.dkmsinstance_id


def test_crossings_fire_once_each_and_a_full_store_sends_records_to_the_trail(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(data_dir=tmp_path / "node", audit_log_quota_bytes=QUOTA)
    kms = server.kms()
    key_id, instance_id = new_key(kms)
    fill_to(server, kms, key_id, instance_id, 70)
    assert (len(log_events(server, 70)), len(log_events(server, 90))) == (1, 0)
    fill_to(server, kms, key_id, instance_id, 90)
    fill_to(server, kms, key_id, instance_id, 100)
    assert [len(log_events(server, pct)) for pct in (70, 90, 100)] == [1, 1, 1]
    full = log_events(server, 100)[0].payload()
    assert (full["level"], full["content"]["action"], full["content"]["kmsInstanceId"]) == (
        "CRITICAL",
        "stop-logging",
        instance_id,
    )
    assert abs(float(full["content"]["quota"]) * GIB - QUOTA) < 2
    assert float(full["content"]["used"]) * GIB >= QUOTA - 2
    total, summed = usage(server, instance_id)
    assert total == summed and QUOTA <= total < QUOTA + 2_000, (
        "a store passes its quota by one record at most"
    )
    for _ in range(3):
        encrypt(kms, key_id)  # still answered: the calls are audited in the account's trail instead
    assert usage(server, instance_id) == (total, summed)
    latest = [r for r in stored_records(server) if r.event_name == "Encrypt"][-3:]
    assert [r.instance_id for r in latest] == ["", "", ""]
    assert [len(log_events(server, pct)) for pct in (70, 90, 100)] == [1, 1, 1]


def test_arm_states_survive_a_restart_and_retention_re_arms_them(
    start_server: ServerFactory, tmp_path: Path
) -> None:
    first = start_server(data_dir=tmp_path / "node", audit_log_quota_bytes=QUOTA)
    kms = first.kms()
    key_id, instance_id = new_key(kms)
    fill_to(first, kms, key_id, instance_id, 70)
    first.stop()
    second = start_server(data_dir=tmp_path / "node", audit_log_quota_bytes=QUOTA)
    kms = second.kms()
    encrypt(kms, key_id)
    assert usage(second, instance_id)[0] * 100 >= 70 * QUOTA
    assert len(log_events(second, 70)) == 1, "the 70 % threshold stayed disarmed across the restart"
    second.advance(181 * DAY)  # runs retention: the store's records are past 180 days (the event's too)
    assert usage(second, instance_id) == (0, 0)
    assert log_events(second, 70) == []
    fill_to(second, kms, key_id, instance_id, 70)
    assert len(log_events(second, 70)) == 1, "retention re-armed the threshold"


def test_reject_requests_refuses_data_plane_calls_on_a_full_store(start_server: ServerFactory) -> None:
    server = start_server(audit_log_quota_bytes=QUOTA, audit_log_full="reject-requests")
    kms = server.kms()
    key_id, instance_id = new_key(kms)
    blob = kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext="aGVsbG8=")).body.ciphertext_blob
    kms.create_secret(models.CreateSecretRequest(secret_name="db", secret_data="pw-1", version_id="v1"))
    fill_to(server, kms, key_id, instance_id, 100)
    assert log_events(server, 100)[0].payload()["content"]["action"] == "reject-requests"
    refused = [
        lambda: encrypt(kms, key_id),
        lambda: kms.decrypt(models.DecryptRequest(ciphertext_blob=blob)),
        lambda: kms.get_secret_value(models.GetSecretValueRequest(secret_name="db")),
    ]
    for call in refused:
        try:
            call()
        except ClientException as exc:
            assert (exc.code, exc.status_code) == ("Rejected.LogStoreFull", 400)
            assert instance_id in exc.message
        else:
            raise AssertionError("a data-plane call on a full log store was carried out")
    described = kms.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata
    assert described.key_state == "Enabled", "management calls go on"
    refusals = [r for r in stored_records(server) if r.event.get("errorCode") == "Rejected.LogStoreFull"]
    assert [r.event_name for r in refusals] == ["Encrypt", "Decrypt", "GetSecretValue"]
    assert {r.instance_id for r in refusals} == {""}, "a refusal is recorded in the account's trail"
