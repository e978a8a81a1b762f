"""The stages of the alerting pipeline, one per module; pipeline.py puts them in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from vigil import ids
from vigil.alerting import store
from vigil.alerting.model import Candidate, NotificationRecord, SourceKind
from vigil.alerting.patterns import EventRule
from vigil.alerting.records import Notification
from vigil.alerting.silences import Silence
from vigil.alerting.subscriptions import Subscription
from vigil.alerting.targets import Address
from vigil.storage.engine import Tx

Prepared = tuple[Notification, list[NotificationRecord]] | None
"""A candidate's notification and delivery records, or None when its source is gone."""


@dataclass(slots=True)
class Dispatch:
    """One pass of the pipeline: its transaction, the clock's time and what it looked up.

    On SQLite a pass looks things up, and works out what it would write, in a read transaction
    before it takes the write lock (``Fanout.prepare``); ``tx`` is then the write transaction,
    and what was looked up serves the stages there."""

    tx: Tx
    now: int
    _rules: dict[tuple[str, str], EventRule | None] = field(default_factory=dict)
    _subscriptions: dict[tuple[str, str, str], Subscription | None] = field(default_factory=dict)
    _silences: dict[str, list[Silence]] = field(default_factory=dict)
    addresses: dict[tuple[str, str, str], list[Address]] = field(default_factory=dict)
    """A source's resolved target addresses, per (account, source kind, source name)."""
    prepared: dict[int, Prepared] = field(default_factory=dict)
    """The rows each candidate (by ``id``) would write, worked out before the write lock."""
    _ids: list[str] = field(default_factory=list)

    def new_id(self) -> str:
        """A new notification or record id, of the pass's time (drawn a batch at a time)."""
        if not self._ids:
            self._ids = ids.time_ordered_uuids(self.now, 64)
        return self._ids.pop()

    def rule(self, account_id: str, name: str) -> EventRule | None:
        key = (account_id, name)
        if key not in self._rules:
            self._rules[key] = store.get_rule(self.tx, account_id, name)
        return self._rules[key]

    def subscription(self, c: Candidate) -> Subscription | None:
        return self.subscription_named(c.event.account_id, c.source_kind.value, c.source_name)

    def subscription_named(self, account_id: str, kind: str, name: str) -> Subscription | None:
        key = (account_id, kind, name)
        if key not in self._subscriptions:
            self._subscriptions[key] = store.get_subscription(self.tx, *key)
        return self._subscriptions[key]

    def source_of(self, c: Candidate) -> EventRule | Subscription | None:
        if c.source_kind is SourceKind.RULE:
            return self.rule(c.event.account_id, c.source_name)
        return self.subscription(c)

    def silences(self, account_id: str) -> list[Silence]:
        if account_id not in self._silences:
            self._silences[account_id] = store.list_silences(self.tx, account_id, ending_after=self.now)
        return self._silences[account_id]


class Stage(Protocol):
    """Takes a batch and returns what goes on to the next stage (dropping or holding the rest)."""

    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]: ...


def set_mark(tx: Tx, c: Candidate, mark: str, at_ms: int) -> None:
    tx.execute(
        "INSERT INTO alert_marks (account_id, source_kind, source_name, mark, at_ms) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (account_id, source_kind, source_name, mark) DO UPDATE SET at_ms = excluded.at_ms",
        (c.event.account_id, c.source_kind.value, c.source_name, mark, at_ms),
    )


def get_mark(tx: Tx, c: Candidate, mark: str) -> int | None:
    row = tx.one(
        "SELECT at_ms FROM alert_marks WHERE account_id = ? AND source_kind = ? AND source_name = ? AND mark = ?",
        (c.event.account_id, c.source_kind.value, c.source_name, mark),
    )
    return None if row is None else int(row["at_ms"])
