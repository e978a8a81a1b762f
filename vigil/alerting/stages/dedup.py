"""Duplicate suppression: a subscription with ``dedup_s`` drops an event identical to one it
notified about within that many seconds (same name, resource, status and content, ids aside)."""

from __future__ import annotations

import hashlib
import json

from vigil.alerting.model import Candidate, SourceKind
from vigil.alerting.stages import Dispatch, get_mark, set_mark

_VOLATILE = frozenset({"eventId", "EventId", "drill"})


def fingerprint(c: Candidate) -> str:
    content = {k: v for k, v in c.event.content.items() if k not in _VOLATILE}
    text = json.dumps(
        [c.event.name, c.event.resource_id, c.event.status, content], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class SuppressDuplicates:
    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        kept = []
        for c in batch:
            sub = d.subscription(c) if c.source_kind is SourceKind.SUBSCRIPTION else None
            if sub is None or sub.dedup_s <= 0:
                kept.append(c)
                continue
            mark = f"dup:{fingerprint(c)}"
            last = get_mark(d.tx, c, mark)
            if last is not None and c.event.time_ms < last + sub.dedup_s * 1000:
                continue
            set_mark(d.tx, c, mark, c.event.time_ms)
            kept.append(c)
        return kept
