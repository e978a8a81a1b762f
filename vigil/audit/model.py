"""An audit record (pure): one API call or background action, in the shape of an ActionTrail event.

The recorder fills an AuditRecord with parameters that are already redacted; ``to_event`` is the
JSON that LookupEvents and the advanced query return, and ``from_event`` reads it back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from vigil.errors import InvalidArgument

MANAGEMENT_RETENTION_DAYS = 90
"""How long the account's trail keeps a record (instance_id == "")."""
INSTANCE_RETENTION_DAYS = 180
"""How long a KMS instance's log store keeps a data-plane record (instance_id != "")."""


class ServiceName(StrEnum):
    KMS = "Kms"
    CMS = "Cms"
    ACTIONTRAIL = "Actiontrail"
    CSMS = "Csms"
    VIGIL = "Vigil"


class EventRW(StrEnum):
    READ = "Read"
    WRITE = "Write"


class EventType(StrEnum):
    API_CALL = "ApiCall"
    SERVICE_EVENT = "ServiceEvent"  # a background action: scheduled deletion, rotation, …


class LookupKey(StrEnum):
    """The LookupAttribute keys of ActionTrail's LookupEvents."""

    SERVICE_NAME = "ServiceName"
    EVENT_NAME = "EventName"
    USER = "User"
    EVENT_ID = "EventId"
    RESOURCE_TYPE = "ResourceType"
    RESOURCE_NAME = "ResourceName"
    EVENT_RW = "EventRW"
    EVENT_ACCESS_KEY_ID = "EventAccessKeyId"


class Direction(StrEnum):
    FORWARD = "FORWARD"  # oldest first
    BACKWARD = "BACKWARD"  # newest first, LookupEvents' default


def canonical(value: str, choices: type[StrEnum]) -> str:
    """``value`` spelled as the member of ``choices`` it names ignoring case (``kms`` → ``Kms``), or
    unchanged when it names none: enumerated fields match whatever case a caller types."""
    for member in choices:
        if member.value.lower() == value.lower():
            return member.value
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    event_id: str  # time-ordered (vigil.ids.time_ordered_uuid), so its unique index grows at its end
    account_id: str
    event_time_ms: int
    service_name: str
    event_name: str  # the API action, e.g. "Encrypt"
    event_rw: str
    event_type: str
    event_source: str  # the endpoint host, e.g. "kms.cn-hangzhou.aliyuncs.com"
    request_id: str
    acs_region: str
    source_ip: str
    user_agent: str
    identity_type: str
    principal_id: str
    user_name: str
    access_key_id: str
    resource_type: str  # e.g. "ACS::KMS::Key"
    resource_name: str
    error_code: str = ""  # "" on success
    error_message: str = ""
    request_parameters: dict[str, Any] = field(default_factory=dict)  # already redacted
    response_elements: dict[str, Any] | None = None  # already redacted
    instance_id: str = ""  # the KMS instance whose log store keeps this data-plane call, or ""
    api_version: str = ""

    def to_event(self) -> dict[str, Any]:
        """The ActionTrail event JSON; errorCode and errorMessage appear only when set, as in ActionTrail."""
        event: dict[str, Any] = {
            "eventId": self.event_id,
            "eventVersion": "1",
            "eventName": self.event_name,
            "eventRW": self.event_rw,
            "eventType": self.event_type,
            "eventSource": self.event_source,
            "eventCategory": "Management",
            "serviceName": self.service_name,
            "eventTime": event_time(self.event_time_ms),
            "requestId": self.request_id,
            "acsRegion": self.acs_region,
            "sourceIpAddress": self.source_ip,
            "userAgent": self.user_agent,
            "userIdentity": {
                "type": self.identity_type,
                "principalId": self.principal_id,
                "accountId": self.account_id,
                "accessKeyId": self.access_key_id,
                "userName": self.user_name,
            },
            "requestParameters": self.request_parameters,
            "responseElements": self.response_elements,
            "resourceName": self.resource_name,
            "resourceType": self.resource_type,
            "isGlobal": False,
            "apiVersion": self.api_version,
        }
        if self.error_code:
            event["errorCode"] = self.error_code
        if self.error_message:
            event["errorMessage"] = self.error_message
        return event

    @classmethod
    def from_event(
        cls, event: Mapping[str, Any], *, event_time_ms: int | None = None, instance_id: str = ""
    ) -> AuditRecord:
        """The record an event JSON describes. The JSON's eventTime has whole seconds, so a store
        passes its exact ``event_time_ms``. Raises InvalidArgument when eventId or eventTime is missing."""
        identity = event.get("userIdentity") or {}
        if not isinstance(identity, Mapping):
            identity = {}
        if not isinstance(event.get("eventId"), str):
            raise InvalidArgument("an audit event needs a string eventId")
        if event_time_ms is None:
            event_time_ms = parse_event_time(event.get("eventTime"))
        return cls(
            event_id=event["eventId"],
            account_id=_text(identity, "accountId"),
            event_time_ms=event_time_ms,
            service_name=_text(event, "serviceName"),
            event_name=_text(event, "eventName"),
            event_rw=_text(event, "eventRW"),
            event_type=_text(event, "eventType"),
            event_source=_text(event, "eventSource"),
            request_id=_text(event, "requestId"),
            acs_region=_text(event, "acsRegion"),
            source_ip=_text(event, "sourceIpAddress"),
            user_agent=_text(event, "userAgent"),
            identity_type=_text(identity, "type"),
            principal_id=_text(identity, "principalId"),
            user_name=_text(identity, "userName"),
            access_key_id=_text(identity, "accessKeyId"),
            resource_type=_text(event, "resourceType"),
            resource_name=_text(event, "resourceName"),
            error_code=_text(event, "errorCode"),
            error_message=_text(event, "errorMessage"),
            request_parameters=dict(event.get("requestParameters") or {}),
            response_elements=event.get("responseElements"),
            instance_id=instance_id,
            api_version=_text(event, "apiVersion"),
        )


class ServiceEvents(Protocol):
    """Where a domain records a background action it has taken (a key destroyed at the end of its
    window, an automatic rotation): ``AuditTrail.record_service_event``. Never raises."""

    def record_service_event(
        self,
        account_id: str,
        service: str,
        name: str,
        *,
        resource_type: str,
        resource_name: str,
        details: dict[str, object] | None = None,
        error_code: str = "",
        error_message: str = "",
    ) -> None: ...


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_time(ms: int) -> str:
    """ActionTrail's eventTime: UTC to the second, e.g. ``2024-01-01T00:00:00Z``."""
    return _second(ms // 1000)


@functools.lru_cache(maxsize=64)
def _second(seconds: int) -> str:
    # every call made in the same second shares the text, and calls come many to a second
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def parse_event_time(text: object) -> int:
    """Milliseconds since the epoch of an eventTime. Raises InvalidArgument for anything else."""
    if isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return (moment - _EPOCH) // timedelta(milliseconds=1)
    raise InvalidArgument(f"expected an eventTime such as 2024-01-01T00:00:00Z, found {str(text)[:40]!r}")


def _text(source: Mapping[str, Any], key: str) -> str:
    value = source.get(key)
    return value if isinstance(value, str) else ""
