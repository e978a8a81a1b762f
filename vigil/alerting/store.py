"""SQL for the alerting configuration: contacts, contact groups, event rules, targets, subscriptions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from vigil.alerting.model import Contact, ContactGroup, EventKind, Target, TargetKind
from vigil.alerting.patterns import EventPattern, EventRule, RuleState
from vigil.alerting.silences import Matcher, Recurrence, Silence
from vigil.alerting.subscriptions import Subscription, from_spec
from vigil.events.model import compact_json
from vigil.storage.engine import Row, Tx

_dump = compact_json


# -- contacts --------------------------------------------------------------------------------


def put_contact(tx: Tx, c: Contact) -> None:
    tx.execute(
        "INSERT INTO contacts (account_id, name, description, lang, channels, enabled, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, name) DO UPDATE SET "
        "description = excluded.description, lang = excluded.lang, channels = excluded.channels, "
        "enabled = excluded.enabled, updated_at = excluded.updated_at",
        (
            c.account_id,
            c.name,
            c.description,
            c.lang,
            _dump(c.channels),
            int(c.enabled),
            c.created_at,
            c.updated_at,
        ),
    )


def _contact(r: Row) -> Contact:
    return Contact(
        r["account_id"],
        r["name"],
        r["description"],
        r["lang"],
        json.loads(r["channels"]),
        bool(r["enabled"]),
        r["created_at"],
        r["updated_at"],
    )


def get_contact(tx: Tx, account_id: str, name: str) -> Contact | None:
    r = tx.one("SELECT * FROM contacts WHERE account_id = ? AND name = ?", (account_id, name))
    return None if r is None else _contact(r)


def list_contacts(tx: Tx, account_id: str) -> list[Contact]:
    return [
        _contact(r)
        for r in tx.all("SELECT * FROM contacts WHERE account_id = ? ORDER BY name", (account_id,))
    ]


def delete_contact(tx: Tx, account_id: str, name: str) -> int:
    return tx.execute("DELETE FROM contacts WHERE account_id = ? AND name = ?", (account_id, name))


def put_contact_group(tx: Tx, g: ContactGroup) -> None:
    tx.execute(
        "INSERT INTO contact_groups (account_id, name, description, contacts, enable_subscribed, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, name) DO UPDATE SET "
        "description = excluded.description, contacts = excluded.contacts, "
        "enable_subscribed = excluded.enable_subscribed, updated_at = excluded.updated_at",
        (
            g.account_id,
            g.name,
            g.description,
            _dump(list(g.contacts)),
            int(g.enable_subscribed),
            g.created_at,
            g.updated_at,
        ),
    )


def _group(r: Row) -> ContactGroup:
    return ContactGroup(
        r["account_id"],
        r["name"],
        r["description"],
        tuple(json.loads(r["contacts"])),
        bool(r["enable_subscribed"]),
        r["created_at"],
        r["updated_at"],
    )


def get_contact_group(tx: Tx, account_id: str, name: str) -> ContactGroup | None:
    r = tx.one("SELECT * FROM contact_groups WHERE account_id = ? AND name = ?", (account_id, name))
    return None if r is None else _group(r)


def list_contact_groups(tx: Tx, account_id: str) -> list[ContactGroup]:
    rows = tx.all("SELECT * FROM contact_groups WHERE account_id = ? ORDER BY name", (account_id,))
    return [_group(r) for r in rows]


# -- event rules -----------------------------------------------------------------------------


def put_rule(tx: Tx, r: EventRule) -> None:
    tx.execute(
        "INSERT INTO event_rules (account_id, name, description, event_type, state, silence_time_s, group_id, "
        "patterns, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account_id, name) DO UPDATE SET description = excluded.description, "
        "event_type = excluded.event_type, state = excluded.state, silence_time_s = excluded.silence_time_s, "
        "group_id = excluded.group_id, patterns = excluded.patterns, updated_at = excluded.updated_at",
        (
            r.account_id,
            r.name,
            r.description,
            r.event_type.value,
            r.state.value,
            r.silence_time_s,
            r.group_id,
            _dump([p.to_json() for p in r.patterns]),
            r.created_at,
            r.updated_at,
        ),
    )


def _rule(r: Row, targets: Sequence[Target]) -> EventRule:
    return EventRule(
        r["account_id"],
        r["name"],
        r["description"],
        EventKind(r["event_type"]),
        RuleState(r["state"]),
        int(r["silence_time_s"]),
        r["group_id"],
        _patterns(r["patterns"]),
        tuple(targets),
        r["created_at"],
        r["updated_at"],
    )


@lru_cache(maxsize=1024)
def _patterns(stored: str) -> tuple[EventPattern, ...]:
    """A rule's stored patterns, parsed once per distinct text: the dispatcher reads each rule it
    notifies for afresh every pass, and a pattern (its SQLFilter compiled) is immutable."""
    return tuple(EventPattern.from_json(p) for p in json.loads(stored))


def _target(r: Row) -> Target:
    return Target(r["target_id"], TargetKind(r["kind"]), json.loads(r["params"]))


def get_rule(tx: Tx, account_id: str, name: str) -> EventRule | None:
    r = tx.one("SELECT * FROM event_rules WHERE account_id = ? AND name = ?", (account_id, name))
    return None if r is None else _rule(r, rule_targets(tx, account_id, name))


def list_rules(tx: Tx, account_id: str) -> list[EventRule]:
    rows = tx.all("SELECT * FROM event_rules WHERE account_id = ? ORDER BY name", (account_id,))
    targets: dict[str, list[Target]] = {}
    for t in tx.all(
        "SELECT * FROM event_rule_targets WHERE account_id = ? ORDER BY target_id", (account_id,)
    ):
        targets.setdefault(t["rule_name"], []).append(_target(t))
    return [_rule(r, targets.get(r["name"], [])) for r in rows]


def set_rule_state(tx: Tx, account_id: str, name: str, state: RuleState, now: int) -> int:
    return tx.execute(
        "UPDATE event_rules SET state = ?, updated_at = ? WHERE account_id = ? AND name = ?",
        (state.value, now, account_id, name),
    )


def delete_rule(tx: Tx, account_id: str, name: str) -> int:
    tx.execute("DELETE FROM event_rule_targets WHERE account_id = ? AND rule_name = ?", (account_id, name))
    return tx.execute("DELETE FROM event_rules WHERE account_id = ? AND name = ?", (account_id, name))


def rule_targets(tx: Tx, account_id: str, rule_name: str) -> list[Target]:
    rows = tx.all(
        "SELECT * FROM event_rule_targets WHERE account_id = ? AND rule_name = ? ORDER BY target_id",
        (account_id, rule_name),
    )
    return [_target(r) for r in rows]


def put_target(tx: Tx, account_id: str, rule_name: str, t: Target) -> None:
    tx.execute(
        "INSERT INTO event_rule_targets (account_id, rule_name, target_id, kind, params) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (account_id, rule_name, target_id) DO UPDATE SET kind = excluded.kind, "
        "params = excluded.params",
        (account_id, rule_name, t.target_id, t.kind.value, _dump(t.params)),
    )


def delete_targets(tx: Tx, account_id: str, rule_name: str, target_ids: Sequence[str]) -> int:
    removed = 0
    for target_id in target_ids:
        removed += tx.execute(
            "DELETE FROM event_rule_targets WHERE account_id = ? AND rule_name = ? AND target_id = ?",
            (account_id, rule_name, target_id),
        )
    return removed


# -- subscriptions ---------------------------------------------------------------------------


def put_subscription(tx: Tx, s: Subscription) -> None:
    tx.execute(
        "INSERT INTO subscriptions (account_id, kind, name, subscription_id, state, spec, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, kind, name) DO UPDATE SET "
        "state = excluded.state, spec = excluded.spec, updated_at = excluded.updated_at",
        (
            s.account_id,
            s.kind,
            s.name,
            s.subscription_id,
            s.state.value,
            _dump(s.to_spec()),
            s.created_at,
            s.updated_at,
        ),
    )


def _subscription(r: Row) -> Subscription:
    return from_spec(
        r["account_id"],
        r["kind"],
        r["name"],
        r["subscription_id"],
        r["state"],
        json.loads(r["spec"]),
        r["created_at"],
        r["updated_at"],
    )


def get_subscription(tx: Tx, account_id: str, kind: str, name: str) -> Subscription | None:
    r = tx.one(
        "SELECT * FROM subscriptions WHERE account_id = ? AND kind = ? AND name = ?", (account_id, kind, name)
    )
    return None if r is None else _subscription(r)


def list_subscriptions(tx: Tx, account_id: str, kind: str | None = None) -> list[Subscription]:
    if kind is None:
        rows = tx.all("SELECT * FROM subscriptions WHERE account_id = ? ORDER BY kind, name", (account_id,))
    else:
        rows = tx.all(
            "SELECT * FROM subscriptions WHERE account_id = ? AND kind = ? ORDER BY name", (account_id, kind)
        )
    return [_subscription(r) for r in rows]


def delete_subscription(tx: Tx, account_id: str, kind: str, name: str) -> int:
    return tx.execute(
        "DELETE FROM subscriptions WHERE account_id = ? AND kind = ? AND name = ?", (account_id, kind, name)
    )


# -- silences --------------------------------------------------------------------------------


def put_silence(tx: Tx, s: Silence) -> None:
    tx.execute(
        "INSERT INTO silences (silence_id, account_id, matchers, starts_at, ends_at, recurrence, author, comment, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (silence_id) DO UPDATE SET "
        "matchers = excluded.matchers, starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
        "recurrence = excluded.recurrence, author = excluded.author, comment = excluded.comment, "
        "updated_at = excluded.updated_at",
        (
            s.silence_id,
            s.account_id,
            _dump([m.to_json() for m in s.matchers]),
            s.starts_at,
            s.ends_at,
            None if s.recurrence is None else _dump(s.recurrence.to_json()),
            s.author,
            s.comment,
            s.created_at,
            s.updated_at,
        ),
    )


def _silence(r: Row) -> Silence:
    recurrence = json.loads(r["recurrence"]) if r["recurrence"] else None
    return Silence(
        r["silence_id"],
        r["account_id"],
        tuple(Matcher.create(m, i) for i, m in enumerate(json.loads(r["matchers"]), start=1)),
        r["starts_at"],
        r["ends_at"],
        None if recurrence is None else Recurrence.create(recurrence),
        r["author"],
        r["comment"],
        r["created_at"],
        r["updated_at"],
    )


def get_silence(tx: Tx, account_id: str, silence_id: str) -> Silence | None:
    r = tx.one("SELECT * FROM silences WHERE account_id = ? AND silence_id = ?", (account_id, silence_id))
    return None if r is None else _silence(r)


def list_silences(tx: Tx, account_id: str, *, ending_after: int = 0) -> list[Silence]:
    rows = tx.all(
        "SELECT * FROM silences WHERE account_id = ? AND ends_at > ? ORDER BY starts_at, silence_id",
        (account_id, ending_after),
    )
    return [_silence(r) for r in rows]
