"""The order of the alerting stages, in one place, and the passes that feed them: the outbox
(events just committed), merge groups whose window ended, and escalations that fell due.

Each pass runs in one transaction, so a crash either keeps the outbox row or keeps what the
stages made of it, never both and never neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from vigil.alerting import outbox, records
from vigil.alerting.model import AlertEvent, Candidate, EventKind, SourceKind
from vigil.alerting.stages import Dispatch, Stage
from vigil.alerting.stages.dedup import SuppressDuplicates
from vigil.alerting.stages.fanout import Fanout, write_records
from vigil.alerting.stages.merge import MergeIntoGroups, held_events, release
from vigil.alerting.stages.mute import DropSilenced
from vigil.alerting.stages.noise import RequireThreshold
from vigil.alerting.stages.silence_time import ApplySilenceTime
from vigil.alerting.subscriptions import Subscription
from vigil.alerting.targets import TargetResolver
from vigil.clock import Clock
from vigil.storage.engine import Database

BATCH = 50
"""Outbox rows per dispatch pass. A pass holds the write lock until it commits (measured at 70 to
100 us per row while events pour in), and event intake waits for it meanwhile: 200 rows stalled
intake for 12 ms at a time, 50 for about 4, for a little more per-transaction overhead."""


class Pipeline:
    def __init__(self, stages: Sequence[Stage]) -> None:
        self.stages = tuple(stages)

    def run(self, d: Dispatch, batch: list[Candidate]) -> None:
        for stage in self.stages:
            if not batch:
                return
            batch = stage.run(d, batch)


class Dispatcher:
    def __init__(
        self, db: Database, clock: Clock, resolver: TargetResolver, wake_delivery: Callable[[], None]
    ) -> None:
        self._db = db
        self._clock = clock
        self._resolver = resolver
        self._wake_delivery = wake_delivery
        fanout = self._fanout = Fanout(resolver, wake_delivery)
        self.incoming = Pipeline(
            [
                ApplySilenceTime(),
                SuppressDuplicates(),
                RequireThreshold(),
                MergeIntoGroups(),
                DropSilenced(),
                fanout,
            ]
        )
        self.flushing = Pipeline([DropSilenced(), fanout])

    def dispatch(self) -> int:
        """Run the stages over one batch from the outbox; returns how many rows it looked at."""
        if self._db.dialect != "sqlite":
            if not self._any("SELECT seq FROM alert_outbox LIMIT 1"):
                return 0
            with self._db.transaction() as tx:
                d = Dispatch(tx, self._clock.now_ms())
                items = outbox.claim(tx, self._db.dialect, BATCH)
                self.incoming.run(d, self._candidates(d, items))
            return len(items)
        # On SQLite the write transaction excludes every other writer, event intake included: the
        # rows, their events, the sources and silences are read, and the rows to write worked
        # out, before it; inside it the stages run and write (outbox.peek, Fanout.prepare).
        with self._db.transaction(write=False) as tx:
            peeked = outbox.peek(tx, BATCH)
            if not peeked.seqs:
                return 0
            d = Dispatch(tx, self._clock.now_ms())
            candidates = self._candidates(d, peeked.items)
            for account_id in {c.event.account_id for c in candidates}:
                d.silences(account_id)
            self._fanout.prepare(d, candidates)
        with self._db.transaction() as tx:
            d.tx = tx
            taken = {i.seq for i in outbox.take(tx, peeked)}
            self.incoming.run(d, [c for c, i in zip(candidates, peeked.items, strict=True) if i.seq in taken])
        return len(peeked.seqs)

    @staticmethod
    def _candidates(d: Dispatch, items: list[outbox.Item]) -> list[Candidate]:
        """The items as candidates, each of a subscription with its group key."""
        batch = []
        for i in items:
            sub = None
            if i.source_kind is not SourceKind.RULE:
                sub = d.subscription_named(i.event.account_id, i.source_kind.value, i.source_name)
            group_key = sub.group_key(i.event) if sub is not None else ""
            batch.append(Candidate(i.event, i.source_kind, i.source_name, group_key))
        return batch

    def _any(self, sql: str, *params: object) -> bool:
        """A read before the write transaction, so an idle poll never takes the writer lock."""
        with self._db.transaction(write=False) as tx:
            return tx.one(sql, params) is not None

    def dispatch_all(self) -> int:
        total = 0
        while taken := self.dispatch():
            total += taken
        return total

    def flush_groups(self, limit: int = 100) -> int:
        """Send every merge group whose window has ended, as one notification each."""
        if not self._any(
            "SELECT group_id FROM alert_groups WHERE flush_at <= ? LIMIT 1", self._clock.now_ms()
        ):
            return 0
        with self._db.transaction() as tx:
            d = Dispatch(tx, self._clock.now_ms())
            lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""
            rows = tx.all(
                f"SELECT * FROM alert_groups WHERE flush_at <= ? ORDER BY flush_at LIMIT ?{lock}",
                (d.now, limit),
            )
            batch = []
            for r in rows:
                events = held_events(tx, r["group_id"])
                if not release(tx, r["group_id"]) or not events:  # another dispatcher flushed it first
                    continue
                first = outbox.load_event(tx, EventKind.SYSTEM, events[0]["id"])
                if first is None:
                    continue
                batch.append(
                    Candidate(
                        first,
                        SourceKind(r["source_kind"]),
                        r["source_name"],
                        r["group_key"],
                        tuple(events),
                        r["event_count"],
                    )
                )
            self.flushing.run(d, batch)
        return len(rows)

    def escalate(self, limit: int = 100) -> int:
        """Notify the next contact group of every unacknowledged notification whose step is due."""
        pending = "SELECT notification_id FROM notifications WHERE next_escalation_at <= ? LIMIT 1"
        if not self._any(pending, self._clock.now_ms()):
            return 0
        with self._db.transaction() as tx:
            d = Dispatch(tx, self._clock.now_ms())
            due = records.due_escalations(tx, d.now, limit)
            for n in due:
                self._escalate(d, n)
        return len(due)

    def _escalate(self, d: Dispatch, n: records.Notification) -> None:
        sub = d.subscription_named(n.account_id, n.source_kind, n.source_name)
        level = n.escalation_level
        if sub is None or level >= len(sub.escalation):
            records.escalated(d.tx, n.notification_id, level, None, d.now, from_level=level)
            return
        step = sub.escalation[level]
        following = (
            sub.escalation[level + 1].after_s * 1000 + d.now if level + 1 < len(sub.escalation) else None
        )
        if not records.escalated(d.tx, n.notification_id, level + 1, following, d.now, from_level=level):
            return  # another dispatcher took this step
        event = outbox.load_event(d.tx, EventKind.SYSTEM, n.event_id)
        if event is None:
            return
        c = _escalation_candidate(event, sub, n)
        addresses = self._resolver.contact_group(
            d.tx, n.account_id, step.contact_group, f"escalation-{level + 1}"
        )
        write_records(d, c, n.notification_id, addresses)
        d.tx.on_commit(self._wake_delivery)


def _escalation_candidate(event: AlertEvent, sub: Subscription, n: records.Notification) -> Candidate:
    content = json.loads(n.content)
    if content.get("merged"):
        return Candidate(
            event, SourceKind(n.source_kind), sub.name, n.group_key, tuple(content["events"]), n.event_count
        )
    return Candidate(event, SourceKind(n.source_kind), sub.name, n.group_key)
