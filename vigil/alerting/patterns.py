"""Event patterns (CMS EventPattern) and the rules and subscriptions built from them; pure matching."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vigil.alerting import sqlfilter
from vigil.alerting.model import AlertEvent, EventKind, Target

ANY = "*"


def _folded(values: Sequence[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


@dataclass(frozen=True, slots=True)
class EventPattern:
    """One EventPattern.N: every list that is given must contain the event's value (``*`` = any)."""

    product: str = ""
    event_types: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    """CustomFilters: comma-separated keywords; the event matches if its text contains any of them."""
    sql_filter: str = ""
    _compiled: Any = field(default=None, compare=False, repr=False)
    _sets: tuple[frozenset[str], ...] = field(default=(), compare=False, repr=False)
    """The four lists folded to lower case once (empty, or containing ``*``, means any value)."""
    _folded_product: str = field(default="", compare=False, repr=False)
    _folded_keywords: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        product: str = "",
        event_types: Sequence[str] = (),
        levels: Sequence[str] = (),
        names: Sequence[str] = (),
        statuses: Sequence[str] = (),
        custom_filters: str = "",
        sql_filter: str = "",
    ) -> EventPattern:
        """Raises SqlFilterError (InvalidArgument) pointing at the fault in ``sql_filter``."""
        compiled = sqlfilter.parse(sql_filter) if sql_filter.strip() else None
        keywords = tuple(k.strip() for k in custom_filters.split(",") if k.strip())
        lists = (tuple(event_types), tuple(levels), tuple(names), tuple(statuses))
        sets = tuple(frozenset() if ANY in (f := _folded(v)) else f for v in lists)
        product = product.strip()
        folded_product = "" if product == ANY else product.lower()
        folded_keywords = tuple(k.lower() for k in keywords)
        return cls(
            product, *lists, keywords, sql_filter.strip(), compiled, sets, folded_product, folded_keywords
        )

    @property
    def name_set(self) -> frozenset[str]:
        """The lower-cased names this pattern takes; empty when it takes any name."""
        return self._sets[2] if self._sets else frozenset()

    def keywords_alone(self) -> tuple[str, ...] | None:
        """The folded keywords, when they are the only condition beyond product and names (``()``
        when there is none), else None."""
        if self._compiled is not None or (self._sets and any(self._sets[i] for i in (0, 1, 3))):
            return None
        return self._folded_keywords

    def matches(self, event: AlertEvent) -> bool:
        """Whether ``why_not`` would find nothing, without building the reason (routing runs this
        for every event against every candidate rule)."""
        if self._folded_product and self._folded_product != event.product.lower():
            return False
        if self._sets:
            types, levels, names, statuses = self._sets
            if types and event.event_type.lower() not in types:
                return False
            if levels and event.level.lower() not in levels:
                return False
            if names and event.name.lower() not in names:
                return False
            if statuses and event.status.lower() not in statuses:
                return False
        if self._folded_keywords:
            text = event.search_text
            for keyword in self._folded_keywords:
                if keyword in text:
                    break
            else:
                return False
        return self._compiled is None or bool(self._compiled.evaluate(event.content))

    def why_not(self, event: AlertEvent) -> str:
        """The first condition the event fails, or "" when it matches (for dry runs)."""
        if self._folded_product and self._folded_product != event.product.lower():
            return f"product {event.product!r} is not {self.product!r}"
        sets = self._sets or (frozenset(),) * 4
        for label, wanted, folded, value in (
            ("event type", self.event_types, sets[0], event.event_type),
            ("level", self.levels, sets[1], event.level),
            ("name", self.names, sets[2], event.name),
            ("status", self.statuses, sets[3], event.status),
        ):
            if folded and value.lower() not in folded:
                return f"{label} {value!r} is not one of {', '.join(wanted)}"
        if self._folded_keywords and not any(k in event.search_text for k in self._folded_keywords):
            return f"no keyword of {', '.join(self.keywords)} occurs in the event"
        if self._compiled is not None and not self._compiled.evaluate(event.content):
            return f"SQLFilter {self.sql_filter!r} is false for the content"
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "Product": self.product,
            "EventTypeList": list(self.event_types),
            "LevelList": list(self.levels),
            "NameList": list(self.names),
            "StatusList": list(self.statuses),
            "CustomFilters": ",".join(self.keywords),
            "SQLFilter": self.sql_filter,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EventPattern:
        return cls.create(
            product=str(raw.get("Product") or ""),
            event_types=[str(v) for v in raw.get("EventTypeList") or ()],
            levels=[str(v) for v in raw.get("LevelList") or ()],
            names=[str(v) for v in raw.get("NameList") or ()],
            statuses=[str(v) for v in raw.get("StatusList") or ()],
            custom_filters=str(raw.get("CustomFilters") or ""),
            sql_filter=str(raw.get("SQLFilter") or ""),
        )


class RuleState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


DEFAULT_SILENCE_TIME_S = 86_400
"""CMS's default: the same event on the same resource notifies a rule's targets once a day."""


@dataclass(frozen=True, slots=True)
class EventRule:
    account_id: str
    name: str
    description: str
    event_type: EventKind
    state: RuleState
    silence_time_s: int
    group_id: str
    patterns: tuple[EventPattern, ...]
    targets: tuple[Target, ...] = ()
    created_at: int = 0
    updated_at: int = 0

    def takes(self, event: AlertEvent) -> bool:
        """``why_not(event) == ""``, answered without building a reason."""
        if self.state is not RuleState.ENABLED or event.kind is not self.event_type:
            return False
        if self.group_id and self.group_id != "0" and self.group_id != event.group_id:
            return False
        return not self.patterns or any(p.matches(event) for p in self.patterns)

    def why_not(self, event: AlertEvent) -> str:
        """Why this rule does not take the event, or "" when it does."""
        if self.state is not RuleState.ENABLED:
            return "the rule is disabled"
        if event.kind is not self.event_type:
            return f"the rule takes {self.event_type.value} events, this is a {event.kind.value} event"
        if self.group_id and self.group_id != "0" and self.group_id != event.group_id:
            return f"the rule is scoped to application group {self.group_id}"
        if not self.patterns:
            return ""
        reasons = [p.why_not(event) for p in self.patterns]
        return "" if "" in reasons else "; ".join(reasons)
