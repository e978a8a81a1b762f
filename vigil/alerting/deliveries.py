"""Sending delivery records: lease the due ones, send each through its channel on a thread pool,
and record the outcome: SUCCESS, a retry with exponential backoff and jitter, FAIL once the
attempts are spent, or INVALID when the target can never work. A record that succeeded is never
sent again; one target's retry never touches the records of the others.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from vigil.alerting import records
from vigil.alerting.model import DeliveryStatus, NotificationRecord
from vigil.alerting.notifiers import Notifiers
from vigil.alerting.notifiers.base import Channel, Message, Outcome, Reason
from vigil.clock import Clock
from vigil.storage.engine import Database, Tx

log = logging.getLogger("vigil.alerting")


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    max_attempts: int = 5
    backoff_s: float = 2.0
    """The wait before the second attempt; it doubles for each further one."""
    max_backoff_s: float = 600.0
    jitter: float = 0.2
    """Each wait is stretched or shrunk by up to this fraction, so retries of a storm spread out."""
    lease_s: float = 60.0
    """How long a pass's records stay leased to this node. A pass of CLAIM records takes at most
    CLAIM / senders rounds of sends, each at most twice the notifier timeout (10 s): 40 s."""
    senders: int = 8

    def backoff_ms(self, attempts: int, draw: float) -> int:
        """The wait after ``attempts`` failed attempts; ``draw`` is uniform in [0, 1)."""
        base = min(self.backoff_s * 2 ** (attempts - 1), self.max_backoff_s)
        return int(base * (1 + self.jitter * (2 * draw - 1)) * 1000)


CLAIM = 16
"""Records leased per pass: twice the senders, so the pool stays busy. It does not grow when many
records are due, for two reasons. The lease must outlast the pass: a send may take up to twice
the notifier timeout, and each further round of the pool adds that again, while a node whose lease
ran out has its records sent again by another. And a crash between the sends and the transaction
recording their outcomes repeats up to a claim's worth of sends. ``deliver_all`` saves the
transactions instead: it records a pass's outcomes and leases the next pass in one."""


def _wall_ms() -> int:
    # Leases are about which node is alive, so they use the real clock, not the test clock.
    return time.time_ns() // 1_000_000


class Deliveries:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifiers: Notifiers,
        draw: Callable[[], float],
        options: DeliveryOptions | None = None,
        *,
        holder: str | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._notifiers = notifiers
        self._draw = draw
        self.options = options or DeliveryOptions()
        self.holder = holder or f"node-{uuid.uuid4().hex[:12]}"
        self._pool = ThreadPoolExecutor(self.options.senders, thread_name_prefix="vigil-deliver")

    def deliver_due(self, limit: int = CLAIM, *, notification_id: str | None = None) -> int:
        """Send every record that is due (up to ``limit``), wait for the outcomes; returns how many."""
        due = self._lease_due(limit, notification_id)
        if due:
            self._record(due, list(self._pool.map(self.send, due)))
        return len(due)

    def deliver_notification(self, notification_id: str) -> int:
        """Send one notification's due records now (a test notification), waiting for the outcomes."""
        return self.deliver_due(100, notification_id=notification_id)

    def deliver_all(self) -> int:
        """Send pass after pass until nothing is due; returns how many were sent. Each pass's
        outcomes are written in the transaction that leases the next pass, so a busy stream of
        records costs one write transaction per pass instead of two; when the last pass ends,
        nothing is left leased."""
        due = self._lease_due(CLAIM)
        total = 0
        while due:
            total += len(due)
            due = self._record(due, list(self._pool.map(self.send, due)), then_claim=CLAIM)
        return total

    def _lease_due(self, limit: int, notification_id: str | None = None) -> list[NotificationRecord]:
        """Lease what is due in a transaction of its own; an idle poll never takes the writer lock."""
        with self._db.transaction(write=False) as tx:
            if not records.any_due(tx, self._clock.now_ms(), _wall_ms()):
                return []
        with self._db.transaction() as tx:
            return self._claim(tx, limit, notification_id)

    def _claim(self, tx: Tx, limit: int, notification_id: str | None = None) -> list[NotificationRecord]:
        wall = _wall_ms()
        lease_until = wall + int(self.options.lease_s * 1000)
        return records.claim_due(
            tx, self._db.dialect, self.holder, self._clock.now_ms(), wall, lease_until, limit, notification_id
        )

    def next_due_ms(self) -> int | None:
        with self._db.transaction(write=False) as tx:
            return records.next_due(tx)

    def send(self, record: NotificationRecord) -> Outcome:
        """One attempt through the record's channel; never raises."""
        message = Message.stored(record.record_id, record.subject, record.content)
        try:
            notifier = self._notifiers.get(Channel(record.channel))
        except (ValueError, KeyError):  # not a channel at all, or one this server has no notifier for
            return Outcome.invalid(f"channel {record.channel!r} is not available")
        try:
            return notifier.send(record.address, message)
        except Exception as exc:  # a notifier bug must not kill the sender thread or lose the record
            # only the type: the exception's text may repeat the address, token and all
            log.error(
                "notifier %s crashed on record %s: %s", record.channel, record.record_id, type(exc).__name__
            )
            return Outcome.failure(Reason.NETWORK, f"the {record.channel} notifier failed unexpectedly", 0.0)

    def _record(
        self, due: list[NotificationRecord], outcomes: list[Outcome], *, then_claim: int = 0
    ) -> list[NotificationRecord]:
        """Write a batch's outcomes in one transaction and one statement (senders never queue for
        the writer lock), then lease up to ``then_claim`` more records in the same transaction;
        returns those. A record whose lease ran out meanwhile is left to its new holder."""
        now = self._clock.now_ms()
        finished = []
        for record, outcome in zip(due, outcomes, strict=True):
            status, next_at = self._next(record, outcome, now)
            finished.append(
                records.Finished(
                    record.seq,
                    status,
                    record.attempts + 1,
                    outcome.reason.value,
                    outcome.error,
                    round(outcome.latency_ms, 3),
                    next_at,
                )
            )
        with self._db.transaction() as tx:
            written = records.finish_many(tx, self.holder, finished, now)
            following = self._claim(tx, then_claim) if then_claim else []
        for record in due:
            if record.seq not in written:
                log.warning("record %s: the lease ran out before the outcome was written", record.record_id)
        return following

    def _next(self, record: NotificationRecord, outcome: Outcome, now: int) -> tuple[DeliveryStatus, int]:
        attempts = record.attempts + 1
        if outcome.ok:
            return DeliveryStatus.SUCCESS, now
        if outcome.reason is Reason.MISCONFIGURED:
            return DeliveryStatus.INVALID, now
        if outcome.retryable and attempts < self.options.max_attempts:
            return DeliveryStatus.PENDING, now + self.options.backoff_ms(attempts, self._draw())
        return DeliveryStatus.FAIL, now

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._notifiers.close()
