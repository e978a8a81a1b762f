"""Dry runs: which rules, subscriptions and targets an event would reach, and why not where it
would not; and a test notification sent to a chosen target, recorded like any other delivery.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from vigil.alerting import records
from vigil.alerting.deliveries import Deliveries
from vigil.alerting.model import (
    AlertEvent,
    Candidate,
    DeliveryStatus,
    NotificationRecord,
    NotificationState,
    SourceKind,
    Target,
)
from vigil.alerting.router import Router, secret_event_why_not
from vigil.alerting.stages import Dispatch, get_mark
from vigil.alerting.stages.fanout import delivery_records
from vigil.alerting.targets import Address, TargetResolver
from vigil.clock import Clock
from vigil.storage.engine import Database


@dataclass(frozen=True, slots=True)
class Route:
    kind: str
    name: str
    matched: bool
    reason: str
    targets: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "Kind": self.kind,
            "Name": self.name,
            "Matched": self.matched,
            "Reason": self.reason,
            "Targets": self.targets,
        }


def _address_json(a: Address) -> dict[str, Any]:
    return {
        "TargetKind": a.target_kind,
        "TargetId": a.target_id,
        "TargetName": a.target_name,
        "Channel": a.channel,
        "Valid": a.problem is None,
        "Problem": a.problem or "",
    }


class DryRun:
    def __init__(
        self, db: Database, clock: Clock, router: Router, resolver: TargetResolver, deliveries: Deliveries
    ) -> None:
        self._db = db
        self._clock = clock
        self._router = router
        self._resolver = resolver
        self._deliveries = deliveries

    def explain(self, event: AlertEvent) -> list[Route]:
        """Every rule and subscription of the account, whether it takes the event and where it sends."""
        now = self._clock.now_ms()
        with self._db.transaction(write=False) as tx:
            routes = self._router.load(tx, event.account_id, enabled_only=False)
            d = Dispatch(tx, now)
            silenced = [s.silence_id for s in d.silences(event.account_id) if s.mutes(event, now)]
            found = []
            for rule in routes.rules:
                reason = rule.why_not(event)
                if not reason and rule.silence_time_s > 0:
                    c = Candidate(event, SourceKind.RULE, rule.name)
                    last = get_mark(tx, c, f"silence:{event.name}:{event.resource_id}")
                    if last is not None and now < last + rule.silence_time_s * 1000:
                        reason = f"within the rule's SilenceTime of {rule.silence_time_s} s since the last notification"
                found.append(self._route(tx, "rule", rule.name, reason, silenced, rule.targets, event))
            for sub in routes.subscriptions:
                found.append(
                    self._route(
                        tx, "subscription", sub.name, sub.why_not(event), silenced, sub.targets, event
                    )
                )
            for sub in routes.secret_events:
                reason = secret_event_why_not(tx, sub, event)
                found.append(self._route(tx, "secret_event", sub.name, reason, silenced, sub.targets, event))
        return found

    def _route(
        self,
        tx: Any,
        kind: str,
        name: str,
        reason: str,
        silenced: list[str],
        targets: tuple[Target, ...],
        event: AlertEvent,
    ) -> Route:
        if not reason and silenced:
            reason = f"muted by silence {', '.join(silenced)}"
        addresses = (
            [] if reason else [a for t in targets for a in self._resolver.resolve(tx, event.account_id, t)]
        )
        return Route(kind, name, not reason, reason, [_address_json(a) for a in addresses])

    def send_test(self, account_id: str, target: Target, event: AlertEvent) -> list[NotificationRecord]:
        """Send ``event`` to ``target`` now, wait for the outcome, and record it (source "test")."""
        now = self._clock.now_ms()
        notification_id = str(uuid.uuid4())
        c = Candidate(event, SourceKind.TEST, target.target_id)
        with self._db.transaction() as tx:
            d = Dispatch(tx, now)
            body, owed = delivery_records(
                d, c, notification_id, self._resolver.resolve(tx, account_id, target)
            )
            records.insert_notification(
                tx,
                records.Notification(
                    notification_id,
                    account_id,
                    SourceKind.TEST.value,
                    target.target_id,
                    "",
                    event.event_id,
                    event.name,
                    1,
                    body,
                    NotificationState.RESOLVED,
                    now,
                    now,
                    None,
                    None,
                    0,
                    None,
                ),
            )
            records.insert_records(tx, owed)
        self._deliveries.deliver_notification(notification_id)
        with self._db.transaction(write=False) as tx:
            sent = records.page(
                tx, account_id, records.RecordFilter(notification_id=notification_id), None, 100
            )
        return [r for r in sent if r.status is not DeliveryStatus.PENDING or r.attempts > 0] or sent
