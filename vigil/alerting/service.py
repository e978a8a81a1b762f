"""Alerting configuration and operations: contacts, event rules and targets, subscriptions,
silences, acknowledging notifications, and querying delivery records. Every change drops the
router's cached routes for the account, so this node routes by it at once (others within 1 s).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import replace

from vigil.alerting import records, store
from vigil.alerting.model import Contact, ContactGroup, NotificationRecord, NotificationState, Target
from vigil.alerting.patterns import EventRule, RuleState
from vigil.alerting.router import Router
from vigil.alerting.silences import Matcher, Recurrence, Silence
from vigil.alerting.subscriptions import Subscription
from vigil.clock import Clock
from vigil.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vigil.storage.engine import Database

NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")
MAX_TARGETS = 20
MAX_SILENCE_S = 5 * 365 * 86_400


class RuleNotFound(NotFound):
    code = "ResourceNotFound"


class ContactNotFound(NotFound):
    code = "ContactNotFound"


class SubscriptionNotFound(NotFound):
    code = "SubscriptionNotFound"


class SilenceNotFound(NotFound):
    code = "SilenceNotFound"


class NotificationNotFound(NotFound):
    code = "NotificationNotFound"


class NotificationStateConflict(FailedPrecondition):
    code = "IncorrectNotificationState"


def check_name(label: str, name: str) -> str:
    if not NAME.match(name):
        raise InvalidArgument(f"{label} must be 1-64 letters, digits, '_', '-' or '.', got {name[:70]!r}")
    return name


class AlertingService:
    def __init__(self, db: Database, clock: Clock, router: Router) -> None:
        self._db = db
        self._clock = clock
        self.router = router

    # -- contacts ----------------------------------------------------------------------------

    def put_contact(
        self, account_id: str, name: str, description: str, lang: str, channels: dict[str, str]
    ) -> Contact:
        check_name("ContactName", name)
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            old = store.get_contact(tx, account_id, name)
            contact = Contact(
                account_id,
                name,
                description,
                lang or "zh_CN",
                {k: v for k, v in channels.items() if v},
                True if old is None else old.enabled,
                now if old is None else old.created_at,
                now,
            )
            store.put_contact(tx, contact)
        return contact

    def set_contact_enabled(self, account_id: str, name: str, enabled: bool) -> Contact:
        with self._db.transaction() as tx:
            old = store.get_contact(tx, account_id, name)
            if old is None:
                raise ContactNotFound(f"contact {name!r} does not exist")
            contact = replace(old, enabled=enabled, updated_at=self._clock.now_ms())
            store.put_contact(tx, contact)
        return contact

    def contacts(self, account_id: str) -> list[Contact]:
        with self._db.transaction(write=False) as tx:
            return store.list_contacts(tx, account_id)

    def put_contact_group(
        self, account_id: str, name: str, contacts: Sequence[str], description: str, enable_subscribed: bool
    ) -> ContactGroup:
        check_name("ContactGroupName", name)
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            for contact in contacts:
                if store.get_contact(tx, account_id, contact) is None:
                    raise ContactNotFound(
                        f"contact {contact[:70]!r} does not exist; create it with PutContact"
                    )
            old = store.get_contact_group(tx, account_id, name)
            group = ContactGroup(
                account_id,
                name,
                description,
                tuple(dict.fromkeys(contacts)),
                enable_subscribed,
                now if old is None else old.created_at,
                now,
            )
            store.put_contact_group(tx, group)
        return group

    def contact_groups(self, account_id: str) -> list[ContactGroup]:
        with self._db.transaction(write=False) as tx:
            return store.list_contact_groups(tx, account_id)

    # -- event rules -------------------------------------------------------------------------

    def put_rule(self, rule: EventRule) -> EventRule:
        """Create or replace (by name) a rule; its targets are kept."""
        check_name("RuleName", rule.name)
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            old = store.get_rule(tx, rule.account_id, rule.name)
            saved = replace(rule, created_at=now if old is None else old.created_at, updated_at=now)
            store.put_rule(tx, saved)
        self.router.invalidate(rule.account_id)
        return saved

    def rule(self, account_id: str, name: str) -> EventRule:
        with self._db.transaction(write=False) as tx:
            found = store.get_rule(tx, account_id, name)
        if found is None:
            raise RuleNotFound(f"event rule {name[:70]!r} does not exist")
        return found

    def rules(self, account_id: str) -> list[EventRule]:
        with self._db.transaction(write=False) as tx:
            return store.list_rules(tx, account_id)

    def put_targets(self, account_id: str, rule_name: str, targets: Sequence[Target]) -> None:
        with self._db.transaction() as tx:
            if store.get_rule(tx, account_id, rule_name) is None:
                raise RuleNotFound(
                    f"event rule {rule_name[:70]!r} does not exist; create it with PutEventRule"
                )
            existing = {t.target_id for t in store.rule_targets(tx, account_id, rule_name)}
            if len(existing | {t.target_id for t in targets}) > MAX_TARGETS:
                raise InvalidArgument(f"an event rule may have at most {MAX_TARGETS} targets")
            for target in targets:
                store.put_target(tx, account_id, rule_name, target)
        self.router.invalidate(account_id)

    def delete_targets(self, account_id: str, rule_name: str, target_ids: Sequence[str]) -> int:
        with self._db.transaction() as tx:
            if store.get_rule(tx, account_id, rule_name) is None:
                raise RuleNotFound(f"event rule {rule_name[:70]!r} does not exist")
            removed = store.delete_targets(tx, account_id, rule_name, target_ids)
        self.router.invalidate(account_id)
        return removed

    def set_rules_state(self, account_id: str, names: Sequence[str], state: RuleState) -> None:
        """All or nothing: an unknown name fails the whole call."""
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            for name in names:
                if not store.set_rule_state(tx, account_id, name, state, now):
                    raise RuleNotFound(f"event rule {name[:70]!r} does not exist")
        self.router.invalidate(account_id)

    def delete_rules(self, account_id: str, names: Sequence[str]) -> None:
        with self._db.transaction() as tx:
            for name in names:
                if not store.delete_rule(tx, account_id, name):
                    raise RuleNotFound(f"event rule {name[:70]!r} does not exist")
        self.router.invalidate(account_id)

    # -- subscriptions -----------------------------------------------------------------------

    def put_subscription(self, sub: Subscription, *, create_only: bool = False) -> Subscription:
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            old = store.get_subscription(tx, sub.account_id, sub.kind, sub.name)
            if old is not None and create_only:
                raise AlreadyExists(f"{sub.kind.replace('_', ' ')} {sub.name!r} already exists")
            saved = replace(
                sub,
                subscription_id=sub.subscription_id if old is None else old.subscription_id,
                created_at=now if old is None else old.created_at,
                updated_at=now,
            )
            store.put_subscription(tx, saved)
        self.router.invalidate(sub.account_id)
        return saved

    def subscription(self, account_id: str, kind: str, name: str) -> Subscription:
        with self._db.transaction(write=False) as tx:
            found = store.get_subscription(tx, account_id, kind, name)
        if found is None:
            raise SubscriptionNotFound(f"{kind.replace('_', ' ')} {name[:70]!r} does not exist")
        return found

    def subscriptions(self, account_id: str, kind: str) -> list[Subscription]:
        with self._db.transaction(write=False) as tx:
            return store.list_subscriptions(tx, account_id, kind)

    def delete_subscription(self, account_id: str, kind: str, name: str) -> None:
        with self._db.transaction() as tx:
            if not store.delete_subscription(tx, account_id, kind, name):
                raise SubscriptionNotFound(f"{kind.replace('_', ' ')} {name[:70]!r} does not exist")
        self.router.invalidate(account_id)

    # -- silences ----------------------------------------------------------------------------

    def create_silence(
        self,
        account_id: str,
        matchers: Sequence[dict[str, object]],
        starts_at: int | None,
        ends_at: int,
        recurrence: dict[str, object] | None,
        author: str,
        comment: str,
    ) -> Silence:
        """Raises InvalidArgument naming the matcher or field that is wrong."""
        if not matchers:
            raise InvalidArgument("a silence needs at least one matcher")
        if len(matchers) > 16:
            raise InvalidArgument("a silence may have at most 16 matchers")
        if not author.strip() or not comment.strip():
            raise InvalidArgument("a silence needs an author and a comment")
        now = self._clock.now_ms()
        start = now if starts_at is None else starts_at
        if ends_at <= start:
            raise InvalidArgument("EndsAt must be after StartsAt")
        if ends_at - start > MAX_SILENCE_S * 1000:
            raise InvalidArgument("a silence may last at most 5 years")
        silence = Silence(
            str(uuid.uuid4()),
            account_id,
            tuple(Matcher.create(dict(m), i) for i, m in enumerate(matchers, start=1)),
            start,
            ends_at,
            None if recurrence is None else Recurrence.create(dict(recurrence)),
            author.strip()[:128],
            comment.strip()[:1024],
            now,
            now,
        )
        with self._db.transaction() as tx:
            store.put_silence(tx, silence)
        return silence

    def expire_silence(self, account_id: str, silence_id: str) -> Silence:
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            found = store.get_silence(tx, account_id, silence_id)
            if found is None:
                raise SilenceNotFound(f"silence {silence_id[:70]!r} does not exist")
            expired = replace(found, ends_at=min(found.ends_at, now), updated_at=now)
            store.put_silence(tx, expired)
        return expired

    def silences(self, account_id: str, *, include_expired: bool = False) -> list[Silence]:
        with self._db.transaction(write=False) as tx:
            after = 0 if include_expired else self._clock.now_ms()
            return store.list_silences(tx, account_id, ending_after=after)

    # -- notifications and records -----------------------------------------------------------

    def notifications(self, account_id: str, state: str | None, limit: int) -> list[records.Notification]:
        with self._db.transaction(write=False) as tx:
            return records.list_notifications(tx, account_id, state, limit)

    def set_notification_state(
        self, account_id: str, notification_id: str, state: NotificationState, who: str, comment: str
    ) -> records.Notification:
        with self._db.transaction() as tx:
            found = records.get_notification(tx, account_id, notification_id)
            if found is None:
                raise NotificationNotFound(f"notification {notification_id[:70]!r} does not exist")
            if not records.set_state(
                tx, account_id, notification_id, state, who, comment, self._clock.now_ms()
            ):
                raise NotificationStateConflict(
                    f"notification {notification_id[:70]!r} is {found.state.value}; it cannot become {state.value}"
                )
            changed = records.get_notification(tx, account_id, notification_id)
        assert changed is not None
        return changed

    def records(
        self, account_id: str, f: records.RecordFilter, before_seq: int | None, limit: int
    ) -> list[NotificationRecord]:
        with self._db.transaction(write=False) as tx:
            return records.page(tx, account_id, f, before_seq, limit)
