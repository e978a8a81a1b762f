"""The last stage: one notification per candidate and one delivery record per target channel,
written in the dispatching transaction; INVALID targets are recorded as such and never retried."""

from __future__ import annotations

from collections.abc import Callable

from vigil.alerting import messages, records
from vigil.alerting.model import Candidate, DeliveryStatus, NotificationRecord, NotificationState
from vigil.alerting.patterns import EventRule
from vigil.alerting.stages import Dispatch, Prepared
from vigil.alerting.subscriptions import Subscription
from vigil.alerting.targets import Address, TargetResolver
from vigil.events.catalog import CATALOG
from vigil.events.model import compact_json


class Fanout:
    def __init__(self, resolver: TargetResolver, on_records: Callable[[], None]) -> None:
        self._resolver = resolver
        self._on_records = on_records

    def prepare(self, d: Dispatch, batch: list[Candidate]) -> None:
        """Work out each candidate's rows ahead of the pass's write transaction (SQLite, where it
        excludes every other writer); ``run`` writes those of the candidates that reach it."""
        for c in batch:
            d.prepared[id(c)] = self._rows(d, c)

    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        notifications: list[records.Notification] = []
        deliveries: list[NotificationRecord] = []
        for c in batch:
            rows = d.prepared[id(c)] if id(c) in d.prepared else self._rows(d, c)
            if rows is not None:
                notifications.append(rows[0])
                deliveries += rows[1]
        if notifications:  # the pass's rows in two statements, not two per notification
            records.insert_notifications(d.tx, notifications)
            records.insert_records(d.tx, deliveries)
        if batch:
            d.tx.on_commit(self._on_records)
        return []

    def _rows(self, d: Dispatch, c: Candidate) -> Prepared:
        source = d.source_of(c)
        if source is None:  # deleted after the event matched it
            return None
        notification_id = d.new_id()
        # A source's addresses, worked out once per pass: the pass reads one snapshot, so a
        # contact group reads the same every time, and the checks of an address are pure.
        key = (c.event.account_id, c.source_kind.value, c.source_name)
        addresses = d.addresses.get(key)
        if addresses is None:
            addresses = d.addresses[key] = [
                a for t in source.targets for a in self._resolver.resolve(d.tx, c.event.account_id, t)
            ]
        body, owed = delivery_records(d, c, notification_id, addresses)
        return self._notification(notification_id, c, source, body, d.now), owed

    def _notification(
        self, notification_id: str, c: Candidate, source: EventRule | Subscription, body: str, now: int
    ) -> records.Notification:
        steps = source.escalation if isinstance(source, Subscription) else ()
        return records.Notification(
            notification_id,
            c.event.account_id,
            c.source_kind.value,
            c.source_name,
            c.group_key,
            c.event.event_id,
            c.event.name,
            c.count,
            body,
            NotificationState.FIRING,
            now,
            now,
            None,
            None,
            0,
            now + steps[0].after_s * 1000 if steps else None,
        )


def write_records(d: Dispatch, c: Candidate, notification_id: str, addresses: list[Address]) -> str:
    """One PENDING (or INVALID) record per address; returns the content they carry, as JSON."""
    body, owed = delivery_records(d, c, notification_id, addresses)
    records.insert_records(d.tx, owed)
    return body


def delivery_records(
    d: Dispatch, c: Candidate, notification_id: str, addresses: list[Address]
) -> tuple[str, list[NotificationRecord]]:
    """The content as JSON, and one PENDING (or INVALID) record per address carrying it."""
    content = c.content()
    body = compact_json(content)
    event, now = c.event, d.now
    spec = CATALOG.get(event.name)
    trigger = spec.csms_trigger if spec is not None and spec.csms_trigger else event.name
    subject = messages.subject(content)
    secret_name = str(event.content.get("secretName", ""))
    secret_type = str(event.content.get("secretType", ""))
    source_kind = c.source_kind.value
    return body, [
        NotificationRecord(
            d.new_id(),
            event.account_id,
            notification_id,
            event.event_id,
            event.name,
            trigger,
            event.resource_id,
            secret_name,
            secret_type,
            source_kind,
            c.source_name,
            a.target_kind,
            a.target_id,
            a.target_name,
            a.channel,
            a.address,
            subject,
            body,
            DeliveryStatus.INVALID if a.problem else DeliveryStatus.PENDING,
            0,
            "misconfigured" if a.problem else "",
            a.problem or "",
            None,
            now,
            now,
            now,
        )
        for a in addresses
    ]
