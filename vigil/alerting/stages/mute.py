"""Silences: drop candidates that an active silence (or maintenance window) matches."""

from __future__ import annotations

from vigil.alerting.model import Candidate
from vigil.alerting.stages import Dispatch


class DropSilenced:
    def run(self, d: Dispatch, batch: list[Candidate]) -> list[Candidate]:
        return [c for c in batch if not any(s.mutes(c.event, d.now) for s in d.silences(c.event.account_id))]
