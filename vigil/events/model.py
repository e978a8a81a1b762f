"""A system event as stored and as delivered, in the JSON shape of the seeds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SystemEvent:
    event_id: str
    account_id: str
    product: str
    name: str
    level: str
    event_type: str
    status: str
    group_id: str
    resource_id: str
    instance_name: str
    region_id: str
    time_ms: int
    content: dict[str, Any] = field(default_factory=dict)
    is_drill: bool = False
    source: str = "system"
    seq: int = 0

    def payload(self) -> dict[str, Any]:
        """The notification JSON of the seeds: id, product, resourceId, level, …, content{eventId, …}."""
        body: dict[str, Any] = {
            "id": self.event_id,
            "product": self.product.lower(),
            "resourceId": self.resource_id,
            "level": self.level,
            "instanceName": self.instance_name,
            "regionId": self.region_id,
            "name": self.name,
            "userId": self.account_id,
            "groupId": self.group_id,
            "status": self.status,
            "time": self.time_ms,
            "content": self.content,
        }
        if self.is_drill:
            body["drill"] = True
        return body

    def search_text(self) -> str:
        """What SearchKeywords match against: name, resource, instance and every content value."""
        return " ".join(
            [self.name, self.resource_id, self.instance_name, json.dumps(self.content, ensure_ascii=False)]
        ).lower()


@dataclass(frozen=True, slots=True)
class CustomEvent:
    event_id: str
    account_id: str
    name: str
    group_id: str
    content: str
    time_ms: int
    seq: int = 0
