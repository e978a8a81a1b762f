"""Every KMS event Vigil can raise today comes from its real trigger, in the seed's JSON shape,
committed in the same transaction as the change (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import SEED_PAYLOAD_KEYS, RunningServer
from vigil.errors import QuotaExceeded
from vigil.events.model import SystemEvent
from vigil.events.query import EventFilter
from vigil.secrets.service import NewSecret
from vigil.testing import LocalReceiver, Reply


def events(server: RunningServer, name: str | None = None) -> list[SystemEvent]:
    f = EventFilter(0, 2**62, name=name)
    return server.app.services.events.search(server.account_id, f, 1, 100)


def payload_of(server: RunningServer, name: str) -> dict[str, Any]:
    found = events(server, name)
    assert len(found) == 1, f"expected one {name}, got {[e.name for e in found]}"
    body = found[0].payload()
    assert set(body) == SEED_PAYLOAD_KEYS
    assert body["product"] == "kms" and body["userId"] == server.account_id and body["groupId"] == "0"
    assert isinstance(body["time"], int) and body["time"] > 10**12
    assert body["content"]["eventId"].startswith(f"{server.account_id}:")
    return body


def test_scheduling_and_destroying_a_key_raise_both_deletion_events(server: RunningServer) -> None:
    client = server.client()
    key = client.call("CreateKey", {})["KeyMetadata"]["KeyId"]
    client.call("ScheduleKeyDeletion", {"KeyId": key, "PendingWindowInDays": 7})
    scheduled = payload_of(server, "Key:DeleteKey:ScheduleDeletion")
    arn = f"acs:kms:cn-hangzhou:{server.account_id}:key/{key}"
    assert (
        scheduled["resourceId"] == arn and scheduled["level"] == "WARN" and scheduled["instanceName"] == key
    )
    assert scheduled["content"]["keyId"] == key and scheduled["content"]["deleteEntityArn"] == arn
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", scheduled["content"]["plannedDeleteTime"])
    assert events(server, "Key:DeleteKey:ActualDeletion") == []
    server.advance(7 * 86400 + 1)
    deleted = payload_of(server, "Key:DeleteKey:ActualDeletion")
    assert deleted["content"]["keyId"] == key and "deleteTime" in deleted["content"]


def test_a_refused_change_raises_no_event(server: RunningServer) -> None:
    client = server.client()
    key = client.call("CreateKey", {})["KeyMetadata"]
    client.call(
        "SetDeletionProtection", {"ProtectedResourceArn": key["Arn"], "EnableDeletionProtection": True}
    )
    with pytest.raises(Exception, match="DeletionProtection"):
        client.call("ScheduleKeyDeletion", {"KeyId": key["KeyId"], "PendingWindowInDays": 7})
    assert events(server, "Key:DeleteKey:ScheduleDeletion") == []


def test_secret_deletion_events_follow_the_window_and_force(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, server.account_id
    secrets.create_secret(acct, NewSecret("app/db", b"pw"))
    secrets.create_secret(acct, NewSecret("app/other", b"pw"))
    secrets.delete_secret(acct, "app/db", 7, force=False)
    scheduled = payload_of(server, "Secret:DeleteSecret:ScheduleDeletion")
    assert scheduled["content"]["secretName"] == "app/db"
    assert scheduled["resourceId"].endswith(":secret/app/db")
    server.advance(7 * 86400 + 1)
    secrets.delete_secret(acct, "app/other", None, force=True)
    deleted = {e.instance_name for e in events(server, "Secret:DeleteSecret:ActualDeletion")}
    assert deleted == {"app/db", "app/other"}


def test_every_new_secret_version_raises_version_created(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, server.account_id
    secrets.create_secret(acct, NewSecret("s", b"one", version_id="v1"))
    secrets.put_secret_value(acct, "s", b"two", version_id="v2")
    created = sorted(e.content["versionId"] for e in events(server, "Secret:SecretVersion:Created"))
    assert created == ["v1", "v2"]


def test_an_expired_version_raises_one_event(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, server.account_id
    now = server.app.services.clock.now_ms()
    secrets.create_secret(acct, NewSecret("s", b"one", expire_at=now + 60_000))
    server.advance(61)
    server.advance(61)
    body = payload_of(server, "Secret:SecretVersion:Expired")
    assert body["content"]["versionId"] == "v1"


def test_rotation_success_and_failure_raise_their_events(server: RunningServer) -> None:
    secrets, rotations, acct = server.app.services.secrets, server.app.services.rotations, server.account_id
    with LocalReceiver() as hook:
        secrets.create_secret(
            acct, NewSecret("hooked", b"one", extended_config={"RotationWebhook": hook.url})
        )
        rotations.rotate_secret(acct, "hooked")
        success = payload_of(server, "Secret:RotateSecret:Success")
        assert success["level"] == "INFO" and success["content"]["secretName"] == "hooked"
        hook.push(Reply(200), Reply(500))
        with pytest.raises(Exception, match="setSecret"):
            rotations.rotate_secret(acct, "hooked")
    failure = payload_of(server, "Secret:RotateSecret:Failure")
    assert failure["status"] == "Failed" and failure["level"] == "CRITICAL"
    assert failure["content"]["failureInfo"]["errorCode"] == "Webhook.StepFailed"


def _shrink_quota(server: RunningServer, column: str, limit: int) -> None:
    services = server.app.services
    with services.db.transaction() as tx:
        tx.execute(f"UPDATE kms_instances SET {column} = ?", (limit,))
    services.instances._cache.invalidate()


def test_secret_quota_events_fire_once_per_crossing_and_rearm_below(server: RunningServer) -> None:
    secrets, acct = server.app.services.secrets, server.account_id
    _shrink_quota(server, "secret_quota", 10)
    for i in range(9):
        secrets.create_secret(acct, NewSecret(f"s{i}", b"v"))
    assert len(events(server, "Instance:Quota:Secret:70%")) == 1
    ninety = payload_of(server, "Instance:Quota:Secret:90%")
    assert (
        ninety["level"] == "WARN" and ninety["content"]["used"] == "9" and ninety["content"]["quota"] == "10"
    )
    secrets.create_secret(acct, NewSecret("s9", b"v"))
    with pytest.raises(QuotaExceeded, match="quota"):
        secrets.create_secret(acct, NewSecret("s10", b"v"))
    assert len(events(server, "Instance:Quota:Secret:90%")) == 1
    for i in range(4):
        secrets.delete_secret(acct, f"s{i}", None, force=True)
    secrets.create_secret(acct, NewSecret("again", b"v"))
    assert len(events(server, "Instance:Quota:Secret:70%")) == 2
    assert len(events(server, "Instance:Quota:Secret:90%")) == 1


def test_key_and_policy_quota_events(server: RunningServer) -> None:
    client = server.client()
    _shrink_quota(server, "key_quota", 4)
    _shrink_quota(server, "access_management_quota", 2)
    for _ in range(3):
        client.call("CreateKey", {})
    assert [e.name for e in events(server, "Instance:Quota:Key:70%")] == ["Instance:Quota:Key:70%"]
    document = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}'
    client.vigil("CreatePolicy", {"PolicyName": "p1", "PolicyDocument": document})
    client.vigil("CreatePolicy", {"PolicyName": "p2", "PolicyDocument": document})
    assert len(events(server, "Instance:Quota:AccessManagement:90%")) == 1


def test_events_and_quota_arm_states_survive_a_restart(start_server: Any, tmp_path: Any) -> None:
    first = start_server(data_dir=tmp_path / "node")
    _shrink_quota(first, "secret_quota", 10)
    for i in range(7):
        first.app.services.secrets.create_secret(first.account_id, NewSecret(f"s{i}", b"v"))
    assert len(events(first, "Instance:Quota:Secret:70%")) == 1
    first.stop()
    second = start_server(data_dir=tmp_path / "node")
    assert len(events(second, "Instance:Quota:Secret:70%")) == 1
    assert len(events(second, "Secret:SecretVersion:Created")) == 7
    second.app.services.secrets.create_secret(second.account_id, NewSecret("s7", b"v"))
    assert len(events(second, "Instance:Quota:Secret:70%")) == 1, "the 70 % threshold stayed disarmed"


def test_a_discarded_rotation_version_is_never_announced(server: RunningServer) -> None:
    secrets, rotations, acct = server.app.services.secrets, server.app.services.rotations, server.account_id
    with LocalReceiver(Reply(200), Reply(500)) as hook:
        secrets.create_secret(
            acct, NewSecret("hooked", b"one", extended_config={"RotationWebhook": hook.url})
        )
        with pytest.raises(Exception, match="setSecret"):
            rotations.rotate_secret(acct, "hooked")
    created = [e.content["versionId"] for e in events(server, "Secret:SecretVersion:Created")]
    assert created == ["v1"]
