"""CMS SilenceTime: a rule notifies about the same event on the same resource at most once per period."""

from __future__ import annotations

from vigil.alerting.model import Candidate, SourceKind
from vigil.alerting.stages import Dispatch, get_mark, set_mark


class ApplySilenceTime:
    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        kept = []
        for c in batch:
            rule = d.rule(c.event.account_id, c.source_name) if c.source_kind is SourceKind.RULE else None
            if rule is None or rule.silence_time_s <= 0:
                kept.append(c)
                continue
            mark = f"silence:{c.event.name}:{c.event.resource_id}"
            last = get_mark(d.tx, c, mark)
            if last is not None and c.event.time_ms < last + rule.silence_time_s * 1000:
                continue
            set_mark(d.tx, c, mark, c.event.time_ms)
            kept.append(c)
        return kept
