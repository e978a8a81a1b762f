"""The six ApsaraMQ for Kafka system events of seed 003, their content schemas and threat vocabulary.

Kafka publishes these through the system-event ingest, so their content is checked field by field
(validate_content). The catalog names the product "Kafka"; payloads carry "kafka", as the seed says
they always do. Kafka content carries no event id (the top-level id is the event's).
"""

from __future__ import annotations

from typing import Any

from vigil.errors import InvalidArgument
from vigil.events.catalog.spec import EventSpec, EventType, Level
from vigil.events.catalog.validation import Field, Kind, check_object

PRODUCT = "Kafka"

NORMAL = "Normal"
EXCEPTION = "Exception"

THREAT_TYPES: tuple[str, ...] = (
    "topic",
    "group",
    "offsetCommitTimes",
    "multiAssignGroup",
    "partitionLeft",
    "topicLeft",
    "diskUsage",
    "outputIo",
    "inputIo",
    "diskLean",
    "topicLean",
    "singlePartitionTopic",
    "chipProduce",
    "syncProduce",
    "conversionProduce",
    "publicTcpConnection",
    "tcpConnection",
    "version",
    "groupLeft",
    "sendTimeGroup",
    "leaveGroup",
    "rebalanceGroup",
    "saramaClient",
    "groupTopicMap",
)
"""The values of riskData[].name (seed 003, "Threat types")."""

REPORT_TYPES: tuple[str, ...] = ("topic", "group", "doc", "commonBuy", "mdsKey")
"""The values of riskData[].reportType; each says how to read reportValue and value."""

GRADE_TYPES: tuple[str, ...] = ("A", "B", "F")
"""riskData[].gradeType: A healthy, B sub-healthy, F poor."""

LEVEL_TYPES: tuple[int, ...] = (0, 1, 2)
"""riskData[].levelType: 0 urgent, 1 important, 2 general."""

RISK_DATA: tuple[Field, ...] = (
    Field("accessLevel", Kind.NUMBER),
    Field("gradeType", Kind.STRING, GRADE_TYPES),
    Field("health", Kind.BOOLEAN),
    Field("levelType", Kind.NUMBER, LEVEL_TYPES),
    Field("name", Kind.STRING, THREAT_TYPES),
    Field("originLevelType", Kind.NUMBER),
    Field("relationList", Kind.ARRAY),
    Field("reportTips", Kind.STRING),
    Field("reportType", Kind.STRING, REPORT_TYPES),
    Field("reportValue", Kind.STRING),
    Field("value", Kind.STRING),
)
RISK_DATA_FIELDS: tuple[str, ...] = tuple(f.name for f in RISK_DATA)
"""The fields of every riskData element, in the seed's order."""


def _instance_fields(event_type: EventType, *middle: Field) -> tuple[Field, ...]:
    """eventType, instanceId, instanceName, <middle>, uploadTime: the frame every instance event shares."""
    return (
        Field("eventType", Kind.STRING, (event_type.value,)),
        Field("instanceId", Kind.STRING),
        Field("instanceName", Kind.STRING),
        *middle,
        Field("uploadTime", Kind.NUMBER),
    )


def _changes(properties: tuple[Field, ...] | None) -> Field:
    """data{newPropertyValues, oldPropertyValues}; None leaves the property names open."""
    return Field(
        "data",
        Kind.OBJECT,
        nested=(
            Field("newPropertyValues", Kind.OBJECT, nested=properties),
            Field("oldPropertyValues", Kind.OBJECT, nested=properties),
        ),
    )


_VERSIONS = (Field("serviceMiniVersion", Kind.STRING), Field("openSourceVersion", Kind.STRING))

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "Instance:Risk": _instance_fields(EventType.EXCEPTION, Field("riskData", Kind.ARRAY, nested=RISK_DATA)),
    "Instance:Upgrade:Version:Notify": (Field("version", Kind.STRING),),
    "Instance:Mutation": (_changes(None), *_instance_fields(EventType.NOTIFICATION)),
    "Instance:State:Change": (Field("data", Kind.STRING), *_instance_fields(EventType.STATUS_NOTIFICATION)),
    "Instance:Upgrade:Config": (_changes(None), *_instance_fields(EventType.NOTIFICATION)),
    "Instance:Upgrade:Version": (_changes(_VERSIONS), *_instance_fields(EventType.NOTIFICATION)),
}
"""Each event's content, closed: a field not listed here is refused."""


def validate_content(name: str, content: object) -> None:
    """Check a Kafka event's content against the seed's fields, kinds and vocabularies.

    Raises InvalidArgument (InvalidEventContent for content) naming the unknown event, or the
    missing, unknown or wrong field by its path (e.g. ``content.riskData[0].name``).
    """
    schema = SCHEMAS.get(name)
    if schema is None:
        raise InvalidArgument(f"{name!r} is not a Kafka event; expected one of: {', '.join(SCHEMAS)}")
    check_object("content", content, schema)


def _payload(
    name: str,
    level: Level,
    status: str,
    *,
    id: str,
    account: str,
    region: str,
    instance: str,
    time: int,
    content: dict[str, Any],
    instance_name: str | None = None,
    header: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Kafka notification in the seed's shape; ``header`` holds the extra ids some examples carry."""
    return {
        "ver": "1.0",
        "id": id,
        **(header or {}),
        "product": PRODUCT.lower(),
        "resourceId": f"acs:alikafka:{region}:{account}:instance/{instance}",
        "level": level.value,
        "instanceName": instance_name or instance,
        "regionId": region,
        "name": name,
        "userId": account,
        "groupId": "0",
        "status": status,
        "time": time,
        "content": content,
    }


def _event(
    name: str,
    level: Level,
    event_type: EventType,
    status: str,
    title: str,
    trigger: str,
    example: dict[str, Any],
) -> EventSpec:
    return EventSpec(
        PRODUCT,
        name,
        level,
        event_type,
        status,
        title,
        trigger,
        "instance",
        tuple(f.name for f in SCHEMAS[name]),
        example=_payload(name, level, status, **example),
        title_zh=title,
        status_desc=status,
        event_id_key=None,
    )


EVENTS: list[EventSpec] = [
    _event(
        "Instance:Risk",
        Level.WARN,
        EventType.EXCEPTION,
        EXCEPTION,
        "Instance threat alert",
        "A threat is detected on the instance; riskData lists each threat (name), its rating and "
        "the recommended fix (reportTips).",
        {
            "id": "68f03e98-e436-457b-adda-**********6",
            "account": "10536xxxxxxxxx",
            "region": "cn-hangzhou",
            "instance": "alikafka_post-cn-xxxxx",
            "time": 1757913918000,
            "content": {
                "eventType": "Exception",
                "instanceId": "alikafka_post-cn-xxxxx",
                "instanceName": "alikafka_post-cn-xxxxx",
                "riskData": [
                    {
                        "accessLevel": 7,
                        "gradeType": "F",
                        "health": False,
                        "levelType": 0,
                        "name": "publicTcpConnection",
                        "originLevelType": 1,
                        "relationList": [],
                        "reportTips": "Too many Internet connections can affect cluster stability. "
                        "Optimize the connection method.",
                        "reportType": "mdsKey",
                        "reportValue": "",
                        "value": "298.0",
                    }
                ],
                "uploadTime": 1757913918071,
            },
        },
    ),
    _event(
        "Instance:Upgrade:Version:Notify",
        Level.WARN,
        EventType.NOTIFICATION,
        NORMAL,
        "Instance version upgrade notification",
        "A notice that the instance's version will be upgraded is sent.",
        {
            "id": "8582C4CB-1869-41AA-8091-73BEE551D2C3",
            "header": {"requestId": "41F12ADB-370B-4D7E-B74D-464E8D5D8B1D", "eventTime": "1742975149000"},
            "account": "278549724441440438",
            "region": "cn-hangzhou",
            "instance": "alikafka_post-cn-xxxx",
            "time": 1742975149000,
            "content": {"version": "v2"},
        },
    ),
    _event(
        "Instance:Mutation",
        Level.INFO,
        EventType.NOTIFICATION,
        NORMAL,
        "Instance upgrade or downgrade",
        "The instance is upgraded or downgraded; data holds the changed properties' old and new values.",
        {
            "id": "e6245875-c9f0-44bf-b752-**********2",
            "account": "175923598xxxxxxx",
            "region": "eu-west-1",
            "instance": "alikafka_post-cn-xxxx",
            "time": 1758039249000,
            "content": {
                "data": {
                    "newPropertyValues": {"ioMaxSpec": "alikafka.hw.3xlarge"},
                    "oldPropertyValues": {"ioMaxSpec": "alikafka.hw.2xlarge"},
                },
                "eventType": "Notification",
                "instanceId": "alikafka_post-cn-xxxx",
                "instanceName": "alikafka_post-cn-xxxx",
                "uploadTime": 1758039249760,
            },
        },
    ),
    _event(
        "Instance:State:Change",
        Level.INFO,
        EventType.STATUS_NOTIFICATION,
        NORMAL,
        "Instance status change notification",
        "The instance moves to a new status (data), such as Stopped.",
        {
            "id": "f96d1ab8-ee84-435b-b866-**********8",
            "account": "105369xxxxxxxx",
            "region": "cn-hangzhou",
            "instance": "alikafka_post-cn-xxxx",
            "instance_name": "test",
            "time": 1757913992000,
            "content": {
                "data": "Stopped",
                "eventType": "StatusNotification",
                "instanceId": "alikafka_post-cn-xxxx",
                "instanceName": "test",
                "uploadTime": 1757913992395,
            },
        },
    ),
    _event(
        "Instance:Upgrade:Config",
        Level.INFO,
        EventType.NOTIFICATION,
        NORMAL,
        "Service configuration upgrade",
        "A service configuration property of the instance is updated; data holds old and new values.",
        {
            "id": "3a1d3148-0919-463d-9841-**********3",
            "account": "1759235xxxxxxx",
            "region": "cn-zhangjiakou",
            "instance": "alikafka_serverless-cn-xxxxxx",
            "instance_name": "test",
            "time": 1758100169000,
            "content": {
                "data": {
                    "newPropertyValues": {"offsets.retention.minutes": "10078"},
                    "oldPropertyValues": {"offsets.retention.minutes": "10079"},
                },
                "eventType": "Notification",
                "instanceId": "alikafka_serverless-cn-xxxxxx",
                "instanceName": "test",
                "uploadTime": 1758100169280,
            },
        },
    ),
    _event(
        "Instance:Upgrade:Version",
        Level.INFO,
        EventType.NOTIFICATION,
        NORMAL,
        "Version upgrade",
        "The instance's version is upgraded; data holds the old and new minor and open-source versions.",
        {
            "id": "38ae38e6-c152-4371-9b4b-**********3",
            "account": "175923598xxxx",
            "region": "cn-huhehaote",
            "instance": "alikafka_post-cn-xxxx",
            "time": 1758161213000,
            "content": {
                "data": {
                    "newPropertyValues": {"serviceMiniVersion": "5.1.1.1", "openSourceVersion": "2.2.0"},
                    "oldPropertyValues": {"serviceMiniVersion": "5.0.3", "openSourceVersion": "2.2.0"},
                },
                "eventType": "Notification",
                "instanceId": "alikafka_post-cn-xxxx",
                "instanceName": "alikafka_post-cn-xxxx",
                "uploadTime": 1758161213151,
            },
        },
    ),
]
