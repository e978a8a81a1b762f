"""The first stage, run inside the transaction that raises an event: match it against the
account's rules and subscriptions (cached in memory) and write one outbox row per match, so an
event and its pending notifications commit together or not at all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vigil.alerting import outbox, store
from vigil.alerting.model import AlertEvent, SourceKind
from vigil.alerting.patterns import ANY, EventPattern, EventRule, RuleState
from vigil.alerting.subscriptions import Subscription
from vigil.clock import Clock
from vigil.events.catalog import CATALOG
from vigil.events.model import CustomEvent, SystemEvent
from vigil.storage.engine import Tx


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

    def candidates(self, product: str, name: str) -> list[EventRule | Subscription]:
        """The rules and subscriptions whose patterns could take this product and name."""
        product, name = product.lower(), name.lower()
        found: list[EventRule | Subscription] = []
        seen: set[int] = set()
        for key in ((product, name), (product, ""), ("", name), ("", "")):
            for source in self._index.get(key, ()):
                if id(source) not in seen:
                    seen.add(id(source))
                    found.append(source)
        return found


def secret_event_why_not(tx: Tx, s: Subscription, event: AlertEvent) -> str:
    """A Huawei secret event takes its event types, for the secrets that subscribe to it."""
    reason = s.why_not(event)
    if reason:
        return reason
    spec = CATALOG.get(event.name)
    trigger = spec.csms_trigger if spec is not None else None
    if trigger is None or trigger not in s.event_types:
        return f"{event.name} is not one of the event types {', '.join(s.event_types)}"
    secret_name = str(event.content.get("secretName", ""))
    row = tx.one(
        "SELECT event_subscriptions FROM secrets WHERE account_id = ? AND secret_name = ?",
        (event.account_id, secret_name),
    )
    if row is None or s.name not in json.loads(row["event_subscriptions"] or "[]"):
        return f"secret {secret_name!r} does not subscribe to {s.name}"
    return ""


class Router:
    def __init__(self, clock: Clock, wake: Callable[[], None], *, ttl_s: float = 1.0) -> None:
        self._clock = clock
        self._wake = wake
        self._ttl_s = ttl_s
        self._cache: dict[str, Routes] = {}
        self._lock = threading.Lock()

    def route(self, tx: Tx, events: Sequence[SystemEvent]) -> None:
        """Match a batch of events raised together; one outbox write for all their matches."""
        if not events:
            return
        routes = self.routes(tx, events[0].account_id)
        if not routes.empty:
            self._route(tx, [AlertEvent.of_system(e) for e in events], routes)

    def route_custom(self, tx: Tx, event: CustomEvent) -> None:
        routes = self.routes(tx, event.account_id)
        if routes.rules:
            self._route(tx, [AlertEvent.of_custom(event)], routes)

    def _route(self, tx: Tx, events: list[AlertEvent], routes: Routes) -> None:
        now = self._clock.now_ms()
        rows = [
            outbox.row(event, kind, name, now)
            for event in events
            for kind, name in self.matches(tx, event, routes)
        ]
        if rows:
            outbox.insert_many(tx, rows)
            tx.on_commit(self._wake)

    def matches(self, tx: Tx, event: AlertEvent, routes: Routes) -> list[tuple[SourceKind, str]]:
        found = [
            (SourceKind.RULE if isinstance(s, EventRule) else SourceKind.SUBSCRIPTION, s.name)
            for s in routes.candidates(event.product, event.name)
            if not s.why_not(event)
        ]
        found += [
            (SourceKind.SECRET_EVENT, s.name)
            for s in routes.secret_events
            if not secret_event_why_not(tx, s, event)
        ]
        return found

    def routes(self, tx: Tx, account_id: str) -> Routes:
        cached = self._cache.get(account_id)
        if cached is not None and time.monotonic() - cached.loaded_at < self._ttl_s:
            return cached
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
