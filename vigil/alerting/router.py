"""The first stage, run inside the transaction that raises an event: match it against the
account's rules and subscriptions (cached in memory) and write one outbox row per match, so an
event and its pending notifications commit together or not at all.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vigil.alerting import outbox, store
from vigil.alerting.model import AlertEvent, SourceKind
from vigil.alerting.patterns import EventRule
from vigil.alerting.subscriptions import Subscription
from vigil.clock import Clock
from vigil.events.catalog import CATALOG
from vigil.events.model import CustomEvent, SystemEvent
from vigil.storage.engine import Tx


@dataclass(frozen=True, slots=True)
class Routes:
    """An account's enabled rules and subscriptions, as loaded at one moment."""

    rules: tuple[EventRule, ...]
    subscriptions: tuple[Subscription, ...]
    secret_events: tuple[Subscription, ...]
    loaded_at: float

    @property
    def empty(self) -> bool:
        return not (self.rules or self.subscriptions or self.secret_events)


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

    def route(self, tx: Tx, event: SystemEvent) -> None:
        routes = self.routes(tx, event.account_id)
        if not routes.empty:
            self._route(tx, AlertEvent.of_system(event), routes)

    def route_custom(self, tx: Tx, event: CustomEvent) -> None:
        routes = self.routes(tx, event.account_id)
        if routes.rules:
            self._route(tx, AlertEvent.of_custom(event), routes)

    def _route(self, tx: Tx, event: AlertEvent, routes: Routes) -> None:
        matched = self.matches(tx, event, routes)
        now = self._clock.now_ms()
        for kind, name in matched:
            outbox.insert(tx, event, kind, name, now)
        if matched:
            tx.on_commit(self._wake)

    def matches(self, tx: Tx, event: AlertEvent, routes: Routes) -> list[tuple[SourceKind, str]]:
        found = [(SourceKind.RULE, r.name) for r in routes.rules if not r.why_not(event)]
        found += [(SourceKind.SUBSCRIPTION, s.name) for s in routes.subscriptions if not s.why_not(event)]
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
        from vigil.alerting.patterns import RuleState

        def on(state: RuleState) -> bool:
            return not enabled_only or state is RuleState.ENABLED

        subscriptions = store.list_subscriptions(tx, account_id)
        return Routes(
            tuple(r for r in store.list_rules(tx, account_id) if on(r.state)),
            tuple(s for s in subscriptions if s.kind == SourceKind.SUBSCRIPTION and on(s.state)),
            tuple(s for s in subscriptions if s.kind == SourceKind.SECRET_EVENT and on(s.state)),
            time.monotonic(),
        )

    def invalidate(self, account_id: str) -> None:
        """This node changed the account's rules: reload them on the next event."""
        with self._lock:
            self._cache.pop(account_id, None)
