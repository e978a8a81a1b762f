"""Merging: a subscription with ``merge`` holds events that share its merge fields in a group for
``window_s`` after the first one happened; when the window ends (the dispatcher's flush) one
notification goes out with the count and the list. Windows follow the events' own times, so a
late dispatch (after a restart) groups them as they happened."""

from __future__ import annotations

import json
import uuid
from typing import Any

from vigil.alerting.model import Candidate, SourceKind
from vigil.alerting.stages import Dispatch
from vigil.events.model import compact_json
from vigil.storage.engine import Tx

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
        """Count the event into its open group (opening one if needed); list it among the first
        MAX_LISTED. One row per event: nothing already held is read or rewritten."""
        row = d.tx.one(
            "SELECT group_id, event_count FROM alert_groups WHERE account_id = ? AND source_kind = ? "
            "AND source_name = ? AND group_key = ?",
            (c.event.account_id, c.source_kind.value, c.source_name, key),
        )
        if row is None:
            group_id, count = str(uuid.uuid4()), 1
            d.tx.execute(
                "INSERT INTO alert_groups (group_id, account_id, source_kind, source_name, group_key, opened_at, "
                "flush_at, event_count) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (
                    group_id,
                    c.event.account_id,
                    c.source_kind.value,
                    c.source_name,
                    key,
                    c.event.time_ms,
                    c.event.time_ms + window_s * 1000,
                ),
            )
        else:
            group_id, count = row["group_id"], int(row["event_count"]) + 1
            d.tx.execute("UPDATE alert_groups SET event_count = ? WHERE group_id = ?", (count, group_id))
        if count <= MAX_LISTED:
            d.tx.execute(
                "INSERT INTO alert_group_events (group_id, payload) VALUES (?, ?)",
                (group_id, compact_json(c.event.payload)),
            )


def held_events(tx: Tx, group_id: str) -> list[dict[str, Any]]:
    rows = tx.all("SELECT payload FROM alert_group_events WHERE group_id = ? ORDER BY seq", (group_id,))
    return [json.loads(r["payload"]) for r in rows]


def release(tx: Tx, group_id: str) -> int:
    """Remove a flushed group; 0 when another dispatcher removed it first."""
    tx.execute("DELETE FROM alert_group_events WHERE group_id = ?", (group_id,))
    return tx.execute("DELETE FROM alert_groups WHERE group_id = ?", (group_id,))
