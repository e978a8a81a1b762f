"""Merging: a subscription with ``merge`` holds events that share its merge fields in a group for
``window_s`` after the first one happened; when the window ends (the dispatcher's flush) one
notification goes out with the count and the list. Windows follow the events' own times, so a
late dispatch (after a restart) groups them as they happened."""

from __future__ import annotations

import json
import uuid

from vigil.alerting.model import Candidate, SourceKind
from vigil.alerting.stages import Dispatch

MAX_LISTED = 100
"""Events listed in one merged notification; the count includes every event."""


class MergeIntoGroups:
    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        kept = []
        for c in batch:
            sub = d.subscription(c) if c.source_kind is SourceKind.SUBSCRIPTION else None
            if sub is None or sub.merge is None:
                kept.append(c)
                continue
            self._hold(d, c, sub.group_key(c.event), sub.merge.window_s)
        return kept

    def _hold(self, d: Dispatch, c: Candidate, key: str, window_s: int) -> None:
        row = d.tx.one(
            "SELECT group_id, events, event_count FROM alert_groups WHERE account_id = ? AND source_kind = ? "
            "AND source_name = ? AND group_key = ?",
            (c.event.account_id, c.source_kind.value, c.source_name, key),
        )
        if row is None:
            d.tx.execute(
                "INSERT INTO alert_groups (group_id, account_id, source_kind, source_name, group_key, opened_at, "
                "flush_at, events, event_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    str(uuid.uuid4()),
                    c.event.account_id,
                    c.source_kind.value,
                    c.source_name,
                    key,
                    c.event.time_ms,
                    c.event.time_ms + window_s * 1000,
                    json.dumps([c.event.payload], separators=(",", ":")),
                ),
            )
            return
        events = json.loads(row["events"])
        if len(events) < MAX_LISTED:
            events.append(c.event.payload)
        d.tx.execute(
            "UPDATE alert_groups SET events = ?, event_count = event_count + 1 WHERE group_id = ?",
            (json.dumps(events, separators=(",", ":")), row["group_id"]),
        )
