"""Huawei CSMS secret event types (seed 004) mapped onto catalog events, and the two Vigil adds.

SECRET_ROTATED, SECRET_ROTATED_FAILED and SECRET_DELETED map onto KMS events the cloud already
has (their csms_trigger says so). Version created and version expired have no KMS event, so Vigil
declares them here, under product "KMS" and in the KMS naming style.
"""

from __future__ import annotations

from enum import StrEnum

from vigil.events.catalog import kms
from vigil.events.catalog.kms import NORMAL, STATUS_NOTIFICATION, arn, event
from vigil.events.catalog.spec import EventSpec, Level


class TriggerEventType(StrEnum):
    """Record.trigger_event_type of GET /v1/{project_id}/csms/notification-records."""

    SECRET_VERSION_CREATED = "SECRET_VERSION_CREATED"
    SECRET_VERSION_EXPIRED = "SECRET_VERSION_EXPIRED"
    SECRET_ROTATED = "SECRET_ROTATED"
    SECRET_DELETED = "SECRET_DELETED"
    SECRET_ROTATED_FAILED = "SECRET_ROTATED_FAILED"


_USER = "119285********60"
_SECRET = "Secret20230325"

EVENTS: list[EventSpec] = [
    event(
        "Secret:SecretVersion:Created",
        Level.INFO,
        STATUS_NOTIFICATION,
        NORMAL,
        "Secret version created",
        "A secret gains a new version: the first one of CreateSecret, one of PutSecretValue, or the "
        "version a rotation writes.",
        "secret",
        ("secretName", "secretType", "versionId", "versionStages", "createTime"),
        {
            "id": "55935e00-7ff6-44a5-a6d6-********a277",
            "resource_id": arn("cn-hangzhou", _USER, "secret", _SECRET),
            "instance_name": _SECRET,
            "region": "cn-hangzhou",
            "user": _USER,
            "time": 1679517784000,
            "content": {
                "eventId": f"{_USER}:{_SECRET}:1679517784",
                "secretName": _SECRET,
                "secretType": "Generic",
                "versionId": "v18",
                "versionStages": ["ACSCurrent"],
                "createTime": "2023-03-22T20:43:04Z",
            },
        },
        csms_trigger=TriggerEventType.SECRET_VERSION_CREATED.value,
    ),
    event(
        "Secret:SecretVersion:Expired",
        Level.WARN,
        STATUS_NOTIFICATION,
        NORMAL,
        "Secret version expired",
        "A secret version's expiry time (Huawei expire_time) passes; raised once per version.",
        "secret",
        ("secretName", "secretType", "versionId", "expireTime"),
        {
            "id": "f3256cdd-e2a8-4fe2-80a3-********df69",
            "resource_id": arn("cn-hangzhou", _USER, "secret", _SECRET),
            "instance_name": _SECRET,
            "region": "cn-hangzhou",
            "user": _USER,
            "time": 1680109643000,
            "content": {
                "eventId": f"{_USER}:{_SECRET}:1680109643",
                "secretName": _SECRET,
                "secretType": "Generic",
                "versionId": "v18",
                "expireTime": "2023-03-29T17:07:23Z",
            },
        },
        csms_trigger=TriggerEventType.SECRET_VERSION_EXPIRED.value,
    ),
]


def _triggers() -> dict[TriggerEventType, str]:
    found: dict[TriggerEventType, str] = {}
    for spec in (*kms.EVENTS, *EVENTS):
        if spec.csms_trigger is not None:
            trigger = TriggerEventType(spec.csms_trigger)
            if trigger in found:
                raise ValueError(f"{trigger} maps onto both {found[trigger]} and {spec.name}")
            found[trigger] = spec.name
    missing = set(TriggerEventType) - set(found)
    if missing:
        raise ValueError(f"no catalog event for {', '.join(sorted(missing))}")
    return found


TRIGGERS: dict[TriggerEventType, str] = _triggers()
"""Each CSMS trigger type and the name of the catalog event that raises it."""


def trigger_of(event_name: str) -> TriggerEventType | None:
    """The CSMS trigger type a catalog event raises, if any."""
    return next((t for t, name in TRIGGERS.items() if name == event_name), None)
