"""The alerting domain's values: what an event looks like to a rule, rules, targets, contacts,
subscriptions, notifications and delivery records. Pure: no storage, no HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vigil.alerting.notifiers.base import safe_origin
from vigil.events.model import CustomEvent, SystemEvent


class EventKind(StrEnum):
    SYSTEM = "SYSTEM"
    CUSTOM = "CUSTOM"


class SourceKind(StrEnum):
    """What made a notification: a CMS event rule, a Vigil subscription or a Huawei secret event."""

    RULE = "rule"
    SUBSCRIPTION = "subscription"
    SECRET_EVENT = "secret_event"
    TEST = "test"


class TargetKind(StrEnum):
    CONTACT_GROUP = "contact_group"
    WEBHOOK = "webhook"
    LOG = "log"
    QUEUE = "queue"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    INVALID = "INVALID"


class NotificationState(StrEnum):
    FIRING = "FIRING"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True)  # no slots: payload and search_text are kept in __dict__ on first use
class AlertEvent:
    """A system or custom event as the alerting stages see it."""

    kind: EventKind
    event_id: str
    account_id: str
    product: str
    name: str
    level: str
    event_type: str
    status: str
    group_id: str
    resource_id: str
    time_ms: int
    content: dict[str, Any]
    source: SystemEvent | CustomEvent = field(repr=False, compare=False)

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON a webhook receives: the seed format for system events."""
        # Kept in the instance dict by hand: functools.cached_property takes a lock on every
        # first use (Python 3.11), which the dispatcher pays once per notification.
        known: dict[str, Any] | None = self.__dict__.get("_payload")
        if known is None:
            known = self.__dict__["_payload"] = self._payload()
        return known

    def _payload(self) -> dict[str, Any]:
        s = self.source
        if isinstance(s, SystemEvent):
            return s.payload()
        return {
            "id": s.event_id,
            "name": s.name,
            "groupId": s.group_id,
            "userId": s.account_id,
            "time": s.time_ms,
            "content": s.content,
        }

    @property
    def search_text(self) -> str:
        """What CustomFilters keywords look in (computed only when a pattern has keywords)."""
        known: str | None = self.__dict__.get("_search_text")
        if known is None:
            s = self.source
            known = s.search_text() if isinstance(s, SystemEvent) else f"{s.name} {s.content}".lower()
            self.__dict__["_search_text"] = known
        return known

    def know_search_text(self, text: str) -> None:
        """Take the search text worked out elsewhere (the event's row holds it already)."""
        self.__dict__["_search_text"] = text

    @classmethod
    def of_system(cls, e: SystemEvent) -> AlertEvent:
        return cls(
            EventKind.SYSTEM,
            e.event_id,
            e.account_id,
            e.product,
            e.name,
            e.level,
            e.event_type,
            e.status,
            e.group_id,
            e.resource_id,
            e.time_ms,
            e.content,
            e,
        )

    @classmethod
    def of_custom(cls, e: CustomEvent) -> AlertEvent:
        try:
            parsed = json.loads(e.content)
        except ValueError:
            parsed = None
        content = parsed if isinstance(parsed, dict) else {"content": e.content}
        return cls(
            EventKind.CUSTOM,
            e.event_id,
            e.account_id,
            "",
            e.name,
            "",
            "",
            "",
            e.group_id,
            "",
            e.time_ms,
            content,
            e,
        )

    def field(self, name: str) -> str:
        """A top-level field or content value as text, for merge keys and silence matchers."""
        top = {
            "product": self.product,
            "name": self.name,
            "level": self.level,
            "eventType": self.event_type,
            "status": self.status,
            "groupId": self.group_id,
            "resourceId": self.resource_id,
        }
        if isinstance(self.source, SystemEvent):
            top["instanceName"] = self.source.instance_name
            top["regionId"] = self.source.region_id
        if name in top:
            return top[name]
        value: Any = self.content
        for part in name.removeprefix("content.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a rule or subscription sends: a contact group, a webhook, a log file or a queue."""

    target_id: str
    kind: TargetKind
    params: dict[str, str]

    @property
    def name(self) -> str:
        p, kind = self.params, self.kind
        if kind is TargetKind.WEBHOOK:
            return safe_origin(p.get("Url", ""))  # a token in the path or query stays out
        if kind is TargetKind.CONTACT_GROUP:
            return p.get("ContactGroupName", "")
        if kind is TargetKind.LOG:
            return f"{p.get('Project', '')}/{p.get('LogStore', '')}"
        return p.get("Queue") or p.get("Topic", "")


@dataclass(frozen=True, slots=True)
class Contact:
    account_id: str
    name: str
    description: str
    lang: str
    channels: dict[str, str]
    """CMS channel names: Mail, SMS, AliIM, DingWebHook (a chat webhook or an Apprise URL)."""
    enabled: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class ContactGroup:
    account_id: str
    name: str
    description: str
    contacts: tuple[str, ...]
    enable_subscribed: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """One event matched by one source, on its way through the pipeline stages."""

    event: AlertEvent
    source_kind: SourceKind
    source_name: str
    group_key: str = ""
    events: tuple[dict[str, Any], ...] = ()
    """For a merged notification: the payloads of every event merged into it."""
    count: int = 1

    def content(self) -> dict[str, Any]:
        """What the targets receive: the event JSON, or for a merge the count and the list."""
        if not self.events:
            return self.event.payload
        return {
            "merged": True,
            "count": self.count,
            "groupKey": self.group_key,
            "source": f"{self.source_kind.value}/{self.source_name}",
            "events": list(self.events),
        }


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """One delivery of one notification to one target channel."""

    record_id: str
    account_id: str
    notification_id: str
    event_id: str
    event_name: str
    trigger_event_type: str
    resource_id: str
    secret_name: str
    secret_type: str
    source_kind: str
    source_name: str
    target_kind: str
    target_id: str
    target_name: str
    channel: str
    address: dict[str, str]
    subject: str
    content: str
    status: DeliveryStatus
    attempts: int
    reason: str
    last_error: str
    latency_ms: float | None
    created_at: int
    updated_at: int
    next_attempt_at: int
    seq: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
