"""Recording delivery outcomes on both backends: a batch's outcomes are written in one statement,
and a record whose lease another node took over meanwhile keeps that node's outcome."""

from __future__ import annotations

import logging
import threading

import pytest

from vigil.alerting import records
from vigil.alerting.deliveries import Deliveries, DeliveryOptions
from vigil.alerting.model import DeliveryStatus, NotificationRecord, NotificationState
from vigil.alerting.notifiers import Notifiers
from vigil.storage.engine import Database
from vigil.testing import LocalReceiver, ManualClock, Reply

NOW = 1_767_225_600_000


def _pending(n: int, url: str) -> NotificationRecord:
    return NotificationRecord(
        f"rec-{n}", "acct", f"ntf-{n}", f"ev-{n}", "Instance:Risk", "Instance:Risk", "res", "", "",
        "rule", "storm", "webhook", "1", "http://127.0.0.1", "webhook", {"url": url, "method": "POST"},
        "[WARN] Instance:Risk res", '{"id":"ev"}', DeliveryStatus.PENDING, 0, "", "", None, NOW, NOW, NOW,
    )  # fmt: skip


def _stored(db: Database) -> dict[str, dict[str, object]]:
    with db.transaction(write=False) as tx:
        rows = tx.all("SELECT * FROM notification_records ORDER BY seq")
    return {str(r["record_id"]): r for r in rows}


def _outcome(r: NotificationRecord, status: DeliveryStatus, latency: float | None) -> records.Finished:
    error = "" if status is DeliveryStatus.SUCCESS else "HTTP 503 from http://127.0.0.1"
    return records.Finished(
        r.seq, status, r.attempts + 1, "http_status" if error else "none", error, latency, NOW + 7
    )


def test_a_batch_of_outcomes_skips_the_records_another_node_took_over(database: Database) -> None:
    with database.transaction() as tx:
        records.insert_records(tx, [_pending(n, "http://127.0.0.1:9/hook") for n in range(3)])
    with database.transaction() as tx:  # node A leases all three until wall time 200 …
        held_by_a = records.claim_due(tx, database.dialect, "node-a", NOW, 100, 200, 16)
    with database.transaction() as tx:  # … and node B, at 300, finds the first one's lease run out
        held_by_b = records.claim_due(tx, database.dialect, "node-b", NOW, 300, 400, 1)
    assert [r.record_id for r in held_by_a] == ["rec-0", "rec-1", "rec-2"]
    assert [r.record_id for r in held_by_b] == ["rec-0"]

    with database.transaction() as tx:
        written_by_a = records.finish_many(
            tx,
            "node-a",
            [
                _outcome(held_by_a[0], DeliveryStatus.PENDING, 12.5),
                _outcome(held_by_a[1], DeliveryStatus.PENDING, 3.25),
                _outcome(held_by_a[2], DeliveryStatus.FAIL, 4.0),
            ],
            NOW + 1,
        )
    with database.transaction() as tx:  # every latency NULL: PostgreSQL still knows the column type
        written_by_b = records.finish_many(
            tx, "node-b", [_outcome(held_by_b[0], DeliveryStatus.SUCCESS, None)], NOW + 2
        )

    assert written_by_a == {held_by_a[1].seq, held_by_a[2].seq}
    assert written_by_b == {held_by_b[0].seq}
    stored = _stored(database)
    assert [stored[f"rec-{n}"]["status"] for n in range(3)] == ["SUCCESS", "PENDING", "FAIL"]
    assert stored["rec-0"]["latency_ms"] is None and stored["rec-0"]["updated_at"] == NOW + 2
    assert stored["rec-1"]["latency_ms"] == 3.25 and stored["rec-1"]["attempts"] == 1
    assert stored["rec-1"]["last_error"] == "HTTP 503 from http://127.0.0.1"
    assert stored["rec-1"]["reason"] == "http_status" and stored["rec-1"]["next_attempt_at"] == NOW + 7
    assert all(r["lease_holder"] == "" and r["lease_until"] == 0 for r in stored.values())


def test_an_outcome_after_the_lease_ran_out_is_logged_and_not_written(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    gate = threading.Event()
    clock = ManualClock(NOW)
    # Node A's lease has run out as soon as it is taken, and its send is held open (then fails),
    # so node B can take the record over and deliver it meanwhile.
    with LocalReceiver(Reply(503, hold=gate)) as receiver:
        with database.transaction() as tx:
            records.insert_records(tx, [_pending(0, receiver.url)])
        node_a = Deliveries(
            database, clock, Notifiers.create(b"k" * 32, None), lambda: 0.5,
            DeliveryOptions(lease_s=-1.0), holder="node-a",
        )  # fmt: skip
        node_b = Deliveries(database, clock, Notifiers.create(b"k" * 32, None), lambda: 0.5, holder="node-b")
        try:
            sending = threading.Thread(target=node_a.deliver_due)
            sending.start()
            receiver.wait_for(1)
            assert node_b.deliver_due() == 1
            with caplog.at_level(logging.WARNING, logger="vigil.alerting"):
                gate.set()
                sending.join(timeout=10)
        finally:
            gate.set()
            node_a.close()
            node_b.close()
        deliveries = [r.headers["x-vigil-delivery"] for r in receiver.requests]

    assert deliveries == ["rec-0", "rec-0"]
    stored = _stored(database)["rec-0"]
    assert (stored["status"], stored["attempts"], stored["lease_holder"]) == ("SUCCESS", 1, "")
    assert "record rec-0: the lease ran out before the outcome was written" in caplog.text


def _notification(n: int, content: str) -> records.Notification:
    return records.Notification(
        f"ntf-{n}", "acct", "rule", "storm", "", f"ev-{n}", "Instance:Risk", 1, content,
        NotificationState.FIRING, NOW, NOW, None, None, 0, None,
    )  # fmt: skip


def test_a_records_content_is_kept_once_in_its_notification(database: Database) -> None:
    """New records leave their content column empty and read their notification's; a record
    written before that change keeps and reads its own copy."""
    with database.transaction() as tx:
        records.insert_notifications(tx, [_notification(n, f'{{"id":"ev-{n}"}}') for n in range(3)])
        records.insert_records(tx, [_pending(n, "http://127.0.0.1:9/hook") for n in range(2)])
        old_style = records._record_row(_pending(2, "http://127.0.0.1:9/hook"))
        old_style = (*old_style[:17], '{"id":"an earlier copy"}', *old_style[18:])
        tx.insert_many("notification_records", records.RECORD_COLUMNS, [old_style])
    assert {k: r["content"] for k, r in _stored(database).items()} == {
        "rec-0": "",
        "rec-1": "",
        "rec-2": '{"id":"an earlier copy"}',
    }
    with database.transaction() as tx:
        leased = records.claim_due(tx, database.dialect, "node-a", NOW, 100, 200, 16)
    with database.transaction(write=False) as tx:
        listed = records.page(tx, "acct", records.RecordFilter(), None, 10)
    expected = {"rec-0": '{"id":"ev-0"}', "rec-1": '{"id":"ev-1"}', "rec-2": '{"id":"an earlier copy"}'}
    assert {r.record_id: r.content for r in leased} == expected
    assert {r.record_id: r.content for r in listed} == expected
