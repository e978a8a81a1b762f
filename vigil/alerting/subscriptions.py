"""Subscriptions: Vigil's noise-controlled routes (merge, noise threshold, duplicate suppression,
escalation) and Huawei's secret events, which are subscriptions limited to subscribed secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vigil.alerting.model import AlertEvent, EventKind, Target, TargetKind
from vigil.alerting.patterns import EventPattern, RuleState
from vigil.errors import InvalidArgument

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_WINDOW_S = 7 * 86_400


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """Events that agree on ``fields`` within ``window_s`` of the first become one notification."""

    fields: tuple[str, ...]
    window_s: int


@dataclass(frozen=True, slots=True)
class NoisePolicy:
    """Notify only once ``min_count`` matching events arrived within ``window_s``."""

    min_count: int
    window_s: int


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """If the notification is still unacknowledged ``after_s`` after the previous step, notify this group."""

    contact_group: str
    after_s: int


@dataclass(frozen=True, slots=True)
class Subscription:
    account_id: str
    kind: str
    """"subscription" (Vigil) or "secret_event" (Huawei CSMS)."""
    name: str
    subscription_id: str
    state: RuleState
    patterns: tuple[EventPattern, ...]
    targets: tuple[Target, ...]
    merge: MergePolicy | None = None
    noise: NoisePolicy | None = None
    dedup_s: int = 0
    escalation: tuple[EscalationStep, ...] = ()
    description: str = ""
    event_types: tuple[str, ...] = ()
    """Huawei secret events: the CSMS event types (SECRET_ROTATED, …) it takes."""
    created_at: int = 0
    updated_at: int = 0

    def takes(self, event: AlertEvent) -> bool:
        """``why_not(event) == ""``, answered without building a reason."""
        if self.state is not RuleState.ENABLED or event.kind is not EventKind.SYSTEM:
            return False
        return not self.patterns or any(p.matches(event) for p in self.patterns)

    def why_not(self, event: AlertEvent) -> str:
        if self.state is not RuleState.ENABLED:
            return "the subscription is disabled"
        if event.kind is not EventKind.SYSTEM:
            return "subscriptions take system events"
        if not self.patterns:
            return ""
        reasons = [p.why_not(event) for p in self.patterns]
        return "" if "" in reasons else "; ".join(reasons)

    def group_key(self, event: AlertEvent) -> str:
        """The merge and noise key: the values of the merge fields (or the event name and resource)."""
        fields = self.merge.fields if self.merge else ("name", "resourceId")
        return "|".join(f"{f}={event.field(f)}" for f in fields)

    def to_spec(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "patterns": [p.to_json() for p in self.patterns],
            "targets": [{"id": t.target_id, "kind": t.kind.value, "params": t.params} for t in self.targets],
            "merge": None
            if self.merge is None
            else {"fields": self.merge.fields, "window_s": self.merge.window_s},
            "noise": None
            if self.noise is None
            else {"min_count": self.noise.min_count, "window_s": self.noise.window_s},
            "dedup_s": self.dedup_s,
            "escalation": [{"contact_group": s.contact_group, "after_s": s.after_s} for s in self.escalation],
            "event_types": list(self.event_types),
        }


def from_spec(
    account_id: str,
    kind: str,
    name: str,
    subscription_id: str,
    state: str,
    spec: dict[str, Any],
    created_at: int = 0,
    updated_at: int = 0,
) -> Subscription:
    merge, noise = spec.get("merge"), spec.get("noise")
    return Subscription(
        account_id,
        kind,
        name,
        subscription_id,
        RuleState(state),
        tuple(EventPattern.from_json(p) for p in spec.get("patterns") or ()),
        tuple(
            Target(str(t["id"]), TargetKind(t["kind"]), {k: str(v) for k, v in t["params"].items()})
            for t in spec.get("targets") or ()
        ),
        None if not merge else MergePolicy(tuple(merge["fields"]), int(merge["window_s"])),
        None if not noise else NoisePolicy(int(noise["min_count"]), int(noise["window_s"])),
        int(spec.get("dedup_s") or 0),
        tuple(
            EscalationStep(str(s["contact_group"]), int(s["after_s"])) for s in spec.get("escalation") or ()
        ),
        str(spec.get("description") or ""),
        tuple(spec.get("event_types") or ()),
        created_at,
        updated_at,
    )


def check_window(label: str, seconds: int, *, minimum: int = 1) -> int:
    if not minimum <= seconds <= MAX_WINDOW_S:
        raise InvalidArgument(f"{label} must be {minimum}-{MAX_WINDOW_S} seconds, got {seconds}")
    return seconds
