"""What the catalog says about one system event (pure values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    CRITICAL = "CRITICAL"
    WARN = "WARN"
    INFO = "INFO"


class EventType(StrEnum):
    STATUS_NOTIFICATION = "StatusNotification"
    EXCEPTION = "Exception"
    NOTIFICATION = "Notification"
    MAINTENANCE = "Maintenance"


@dataclass(frozen=True, slots=True)
class EventSpec:
    product: str
    """The product as the CMS API names it, e.g. "KMS" or "Kafka"."""
    name: str
    """The event name, e.g. "Key:DeleteKey:ScheduleDeletion"."""
    level: Level
    event_type: EventType
    status: str
    """The status the event is raised with, e.g. "normal" or "Failed"."""
    title: str
    """The seed's short English title, e.g. "Key scheduled for deletion" (NameDesc.En)."""
    trigger: str
    """When the event is raised, as the seed's table says."""
    resource_kind: str
    """What resourceId names: "key", "secret", "instance", "clientkey" …"""
    content_fields: tuple[str, ...]
    """Fields every payload's content carries besides the event id (see event_id_key)."""
    example: dict[str, Any] = field(default_factory=dict, compare=False)
    """The seed's example payload, corrected where the seed has copy errors (see docs/events.md)."""
    csms_trigger: str | None = None
    """The Huawei CSMS trigger type this event maps onto (SECRET_ROTATED …), if any."""
    title_zh: str = ""
    """NameDesc (the Chinese title where the cloud has one; else the English one)."""
    status_desc: str = ""
    emitted: bool = True
    """False for events whose trigger Vigil does not implement yet (raised by later features)."""
    event_id_key: str | None = "eventId"
    """The content key that carries the event id: "eventId" for KMS events, "EventId" for the two
    secret-consumer notify events (the seed's content is the notice itself), None for Kafka
    (whose content carries no event id)."""

    @property
    def payload_product(self) -> str:
        """The product string payloads carry: lower-case ("kms", "kafka"), as in the seeds' examples."""
        return self.product.lower()
