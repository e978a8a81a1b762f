"""Retention on the test clock: the account's trail keeps a record 90 days, a KMS instance's log
store keeps its data-plane records 180 days (and its running total shrinks with them)."""

from __future__ import annotations

from typing import Any

from alibabacloud_kms20160120 import models

from tests.api.audit_records_support import stored_records
from tests.conftest import RunningServer
from vigil.audit import store

DAY = 86_400


def names(server: RunningServer) -> dict[str, set[str]]:
    """The event names still stored, by where they are kept ("" is the account's trail)."""
    found: dict[str, set[str]] = {}
    for record in stored_records(server):
        found.setdefault(record.instance_id, set()).add(record.event_name)
    return found


def test_the_trail_keeps_90_days_and_an_instance_log_store_180(server: RunningServer, kms: Any) -> None:
    meta = kms.create_key(models.CreateKeyRequest()).body.key_metadata
    kms.encrypt(models.EncryptRequest(key_id=meta.key_id, plaintext="aGVsbG8="))
    before = names(server)
    assert "CreateKey" in before[""] and before[meta.dkmsinstance_id] == {"Encrypt"}
    services = server.app.services
    server.advance(89 * DAY)
    services.audit.retention.enforce()
    assert "CreateKey" in names(server)[""]
    server.advance(2 * DAY)  # day 91
    services.audit.retention.enforce()
    after = names(server)
    assert "CreateKey" not in after[""], "the trail dropped its 90-day-old record"
    assert after[meta.dkmsinstance_id] == {"Encrypt"}, "the log store keeps it for 180 days"
    server.advance(88 * DAY)  # day 179
    services.audit.retention.enforce()
    assert names(server)[meta.dkmsinstance_id] == {"Encrypt"}
    server.advance(2 * DAY)  # day 181
    services.audit.retention.enforce()
    assert meta.dkmsinstance_id not in names(server)
    with services.db.transaction(write=False) as tx:
        assert store.log_usage(tx, meta.dkmsinstance_id) == 0
