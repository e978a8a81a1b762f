"""A system event as stored and as delivered, in the JSON shape of the seeds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson


def compact_json(value: Any) -> str:
    """Compact JSON, UTF-8 kept as is: orjson (several times faster on the ingest path), or the
    standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_json(text: str) -> Any:
    """``json.loads``, through orjson first (several times faster on a batch of events); what
    orjson refuses (integers beyond 64 bits, NaN, deep nesting) goes to the standard library, so
    the answer, or the ValueError/RecursionError, is the standard library's."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


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

    def search_text(self, content_json: str | None = None) -> str:
        """What SearchKeywords match against: name, resource, instance and every content value."""
        if content_json is None:
            content_json = compact_json(self.content)
        return " ".join([self.name, self.resource_id, self.instance_name, content_json]).lower()


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What a caller says about an event to raise; the EventCenter adds id, time, region and spec."""

    name: str
    resource_id: str
    instance_name: str
    content: Mapping[str, Any]
    status: str | None = None
    group_id: str = "0"
    drill: bool = False
    source: str = "system"
    level: str | None = None


@dataclass(frozen=True, slots=True)
class CustomEvent:
    event_id: str
    account_id: str
    name: str
    group_id: str
    content: str
    time_ms: int
    seq: int = 0
