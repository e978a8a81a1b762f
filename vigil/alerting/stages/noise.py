"""Noise threshold: a subscription with ``noise`` notifies only once ``min_count`` events with
the same group key arrived within ``window_s``; then the count starts again."""

from __future__ import annotations

from vigil.alerting.model import Candidate, SourceKind
from vigil.alerting.stages import Dispatch


class RequireThreshold:
    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        kept = []
        for c in batch:
            sub = d.subscription(c) if c.source_kind is SourceKind.SUBSCRIPTION else None
            if sub is None or sub.noise is None:
                kept.append(c)
                continue
            key, account = sub.group_key(c.event), c.event.account_id
            d.tx.execute(
                "INSERT INTO alert_hits (account_id, source_name, group_key, event_id, time_ms) VALUES (?, ?, ?, ?, ?)",
                (account, sub.name, key, c.event.event_id, c.event.time_ms),
            )
            since = c.event.time_ms - sub.noise.window_s * 1000
            row = d.tx.one(
                "SELECT COUNT(*) AS n FROM alert_hits WHERE account_id = ? AND source_name = ? AND group_key = ? "
                "AND time_ms > ?",
                (account, sub.name, key, since),
            )
            if row is None or int(row["n"]) < sub.noise.min_count:
                continue
            d.tx.execute(
                "DELETE FROM alert_hits WHERE account_id = ? AND source_name = ? AND group_key = ?",
                (account, sub.name, key),
            )
            kept.append(c)
        return kept
