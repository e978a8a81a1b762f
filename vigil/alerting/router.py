"""The first stage: match raised events against the account's rules and subscriptions (cached in
memory) before the raising transaction takes the write lock, then write one outbox row per match
inside it, so an event and its pending notifications commit together or not at all.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from vigil.alerting import outbox, store
from vigil.alerting.model import AlertEvent, EventKind, SourceKind
from vigil.alerting.patterns import ANY, EventPattern, EventRule, RuleState
from vigil.alerting.subscriptions import Subscription
from vigil.clock import Clock
from vigil.events.catalog import CATALOG
from vigil.events.model import CustomEvent, SystemEvent
from vigil.storage.engine import Database, Tx

Source = EventRule | Subscription
E = TypeVar("E", SystemEvent, CustomEvent)


def _keys(patterns: tuple[EventPattern, ...]) -> set[tuple[str, str]]:
    """The lower-cased (product, name) pairs a source can match; "" stands for any."""
    if not patterns:
        return {("", "")}
    keys = set()
    for p in patterns:
        product = "" if p.product in ("", ANY) else p.product.lower()
        keys |= {(product, name) for name in p.name_set} if p.name_set else {(product, "")}
    return keys


@dataclass(frozen=True, slots=True)
class Routes:
    """An account's enabled rules and subscriptions, as loaded at one moment, indexed by product so
    an event is only checked against the sources that can take its product."""

    rules: tuple[EventRule, ...]
    subscriptions: tuple[Subscription, ...]
    secret_events: tuple[Subscription, ...]
    loaded_at: float
    _index: dict[tuple[str, str], tuple[EventRule | Subscription, ...]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def build(
        cls,
        rules: tuple[EventRule, ...],
        subscriptions: tuple[Subscription, ...],
        secret_events: tuple[Subscription, ...],
    ) -> Routes:
        index: dict[tuple[str, str], list[EventRule | Subscription]] = {}
        sources: list[EventRule | Subscription] = [*rules, *subscriptions]
        for source in sources:
            for key in _keys(source.patterns):
                index.setdefault(key, []).append(source)
        return cls(
            rules, subscriptions, secret_events, time.monotonic(), {k: tuple(v) for k, v in index.items()}
        )

    @property
    def empty(self) -> bool:
        return not (self.rules or self.subscriptions or self.secret_events)

    _plans: dict[tuple[str, str], _Plan] = field(default_factory=dict, repr=False)
    """``plan`` answers per product and name, kept as long as these routes (one cache period)."""

    def candidates(self, product: str, name: str) -> tuple[Source, ...]:
        """The rules and subscriptions whose patterns could take this product and name."""
        return self.plan(product, name).candidates

    def plan(self, product: str, name: str) -> _Plan:
        known = self._plans.get((product, name))
        if known is None:
            folded = product.lower(), name.lower()
            found: dict[int, Source] = {}
            for key in (folded, (folded[0], ""), ("", folded[1]), ("", "")):
                for source in self._index.get(key, ()):
                    found.setdefault(id(source), source)
            known = self._plans[(product, name)] = _Plan.of(tuple(found.values()))
        return known


def _keywords_alone(source: Source) -> tuple[str, ...] | None:
    """For an enabled source that takes system events through one pattern, among the candidates of
    its product and name: the pattern's folded CustomFilters keywords when they are its only
    further condition (``()`` when it has none), else None (it needs the full ``takes``)."""
    if source.state is not RuleState.ENABLED or len(source.patterns) != 1:
        return None
    if isinstance(source, EventRule) and (
        source.event_type is not EventKind.SYSTEM or source.group_id not in ("", "0")
    ):
        return None
    return source.patterns[0].keywords_alone()


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to match a system event of one product and name: the candidates that take every such
    event, those that take it when one of their keywords occurs in it, and the rest, asked one by
    one. Answers come in candidate order.

    The keywords are found in one scan of the event's text, whatever their number: a regular
    expression tries them, longest first, at every position where one could start. At a position,
    every keyword that occurs there is a prefix of the longest one, so each keyword stands for the
    sources of itself and of every keyword it starts with.

    A single-pattern source is a candidate only if its pattern's product and name lists admit the
    event's, so for those only the remaining conditions are left to check."""

    candidates: tuple[Source, ...]
    always: tuple[Source, ...]
    keywords: re.Pattern[str] | None
    by_keyword: dict[str, tuple[Source, ...]]
    """For each keyword, the sources taking it or any keyword it starts with."""
    asked: tuple[Source, ...]
    rank: dict[int, int]

    @classmethod
    def of(cls, candidates: tuple[Source, ...]) -> _Plan:
        always: list[Source] = []
        keyed: dict[str, list[Source]] = {}
        asked: list[Source] = []
        for source in candidates:
            keywords = _keywords_alone(source)
            if keywords is None:
                asked.append(source)
            elif not keywords or "" in keywords:  # "" occurs in every text
                always.append(source)
            else:
                for keyword in keywords:
                    keyed.setdefault(keyword, []).append(source)
        rank = {id(s): i for i, s in enumerate(candidates)}
        keywords_re, by_keyword = _keyword_index(keyed)
        return cls(candidates, tuple(always), keywords_re, by_keyword, tuple(asked), rank)

    def taking(self, event: AlertEvent) -> list[Source]:
        """The candidates that take this system event (``takes`` is true), in candidate order."""
        found = list(self.always)
        if self.keywords is not None:
            text, search, start = event.search_text, self.keywords.search, 0
            while (m := search(text, start)) is not None:  # every position a keyword occurs at
                found += self.by_keyword[m.group()]
                start = m.start() + 1
        found += [s for s in self.asked if s.takes(event)]
        if len(found) < 2:
            return found
        unique = {id(s): s for s in found}
        return sorted(unique.values(), key=lambda s: self.rank[id(s)])


def _keyword_index(
    keyed: dict[str, list[Source]],
) -> tuple[re.Pattern[str] | None, dict[str, tuple[Source, ...]]]:
    """The scan for these keywords, and each keyword's sources with those of its prefixes."""
    if not keyed:
        return None, {}
    by_keyword: dict[str, tuple[Source, ...]] = {}
    for keyword in keyed:
        sources = [s for end in range(1, len(keyword) + 1) for s in keyed.get(keyword[:end], ())]
        by_keyword[keyword] = tuple({id(s): s for s in sources}.values())
    longest_first = sorted(keyed, key=lambda k: (-len(k), k))
    # Searched for again from one past each match, so overlapping occurrences are found too. (A
    # lookahead with finditer finds them as well, but makes the engine try every position; a
    # plain search skips to the candidates, several times faster on keywords that share a prefix.)
    return re.compile("|".join(re.escape(k) for k in longest_first)), by_keyword


def _product_and_name(e: SystemEvent | CustomEvent) -> tuple[str, str]:
    """What ``Routes.candidates`` looks up for the event (a custom event has no product)."""
    return (e.product, e.name) if isinstance(e, SystemEvent) else ("", e.name)


def secret_event_why_not(tx: Tx, s: Subscription, event: AlertEvent) -> str:
    """A Huawei secret event takes its event types, for the secrets that subscribe to it."""
    return _secret_event_rule_out(s, event) or _secret_not_subscribed(tx, s, event)


def _secret_event_rule_out(s: Subscription, event: AlertEvent) -> str:
    """The checks that need no storage: the subscription's state and patterns, and its event types."""
    reason = s.why_not(event)
    if reason:
        return reason
    spec = CATALOG.get(event.name)
    trigger = spec.csms_trigger if spec is not None else None
    if trigger is None or trigger not in s.event_types:
        return f"{event.name} is not one of the event types {', '.join(s.event_types)}"
    return ""


def _secret_not_subscribed(tx: Tx, s: Subscription, event: AlertEvent) -> str:
    secret_name = str(event.content.get("secretName", ""))
    row = tx.one(
        "SELECT event_subscriptions FROM secrets WHERE account_id = ? AND secret_name = ?",
        (event.account_id, secret_name),
    )
    if row is None or s.name not in json.loads(row["event_subscriptions"] or "[]"):
        return f"secret {secret_name!r} does not subscribe to {s.name}"
    return ""


@dataclass(frozen=True, slots=True)
class Matched:
    """Events matched before their transaction, ready to be written inside it: the outbox rows of
    their rules and subscriptions, and the Huawei secret events left to check against the secrets
    table (which only the transaction can see as it will commit)."""

    rows: list[tuple[str, str, str, str, str, int]]
    secret_events: list[tuple[AlertEvent, Subscription]]
    now: int
    wake: Callable[[], None]

    def write(self, tx: Tx) -> None:
        rows = self.rows + [
            outbox.row(event, SourceKind.SECRET_EVENT, s.name, self.now)
            for event, s in self.secret_events
            if not _secret_not_subscribed(tx, s, event)
        ]
        if rows:
            outbox.insert_many(tx, rows)
            tx.on_commit(self.wake)


class Router:
    def __init__(self, db: Database, clock: Clock, wake: Callable[[], None], *, ttl_s: float = 1.0) -> None:
        self._db = db
        self._clock = clock
        self._wake = wake
        self._ttl_s = ttl_s
        self._cache: dict[str, Routes] = {}
        self._lock = threading.Lock()

    def match(self, events: Sequence[SystemEvent], search_texts: Sequence[str] | None = None) -> Matched:
        """Match a batch of events raised together (one account), outside the write lock;
        ``search_texts`` are their keyword texts when the caller has them already."""
        return self._match(events, AlertEvent.of_system, search_texts)

    def match_custom(self, events: Sequence[CustomEvent]) -> Matched:
        return self._match(events, AlertEvent.of_custom, rules_only=True)

    def _match(
        self,
        raised: Sequence[E],
        alert: Callable[[E], AlertEvent],
        search_texts: Sequence[str] | None = None,
        *,
        rules_only: bool = False,
    ) -> Matched:
        now = self._clock.now_ms()
        matched = Matched([], [], now, self._wake)
        if not raised:
            return matched
        routes = self.routes(raised[0].account_id)
        if routes.empty:  # an account with nothing to route to: no per-event work at all
            return matched
        secret_events = () if rules_only else routes.secret_events
        for index, raised_event in enumerate(raised):
            if not secret_events and not routes.candidates(*_product_and_name(raised_event)):
                continue  # nothing could take it: no AlertEvent, no search text
            event = alert(raised_event)
            if search_texts is not None:
                event.know_search_text(search_texts[index])
            for kind, name in self.matches(event, routes):
                if not rules_only or kind is SourceKind.RULE:
                    matched.rows.append(outbox.row(event, kind, name, now))
            matched.secret_events.extend(
                (event, s) for s in secret_events if not _secret_event_rule_out(s, event)
            )
        return matched

    @staticmethod
    def matches(event: AlertEvent, routes: Routes) -> list[tuple[SourceKind, str]]:
        """The rules and subscriptions (not the secret events) that take the event."""
        if event.kind is EventKind.SYSTEM:
            taking = routes.plan(event.product, event.name).taking(event)
        else:
            taking = [s for s in routes.candidates(event.product, event.name) if s.takes(event)]
        return [
            (SourceKind.RULE if isinstance(s, EventRule) else SourceKind.SUBSCRIPTION, s.name) for s in taking
        ]

    def routes(self, account_id: str) -> Routes:
        cached = self._cache.get(account_id)
        if cached is not None and time.monotonic() - cached.loaded_at < self._ttl_s:
            return cached
        with self._db.transaction(write=False) as tx:  # joins the caller's transaction, if one is open
            loaded = self.load(tx, account_id)
        with self._lock:
            self._cache[account_id] = loaded
        return loaded

    def load(self, tx: Tx, account_id: str, *, enabled_only: bool = True) -> Routes:
        def on(state: RuleState) -> bool:
            return not enabled_only or state is RuleState.ENABLED

        subscriptions = store.list_subscriptions(tx, account_id)
        return Routes.build(
            tuple(r for r in store.list_rules(tx, account_id) if on(r.state)),
            tuple(s for s in subscriptions if s.kind == SourceKind.SUBSCRIPTION and on(s.state)),
            tuple(s for s in subscriptions if s.kind == SourceKind.SECRET_EVENT and on(s.state)),
        )

    def invalidate(self, account_id: str) -> None:
        """This node changed the account's rules: reload them on the next event."""
        with self._lock:
            self._cache.pop(account_id, None)
