"""The event catalog against the seeds: names, levels, types, statuses, CSMS mapping, examples, Kafka content."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vigil.errors import InvalidArgument
from vigil.events.catalog import CATALOG, csms, kafka, kms, products
from vigil.events.catalog.spec import EventSpec, EventType, Level
from vigil.events.catalog.validation import InvalidEventContent, check_content, parse_level

CRITICAL, WARN, INFO = Level.CRITICAL, Level.WARN, Level.INFO
STATUS, EXC, NOTE = EventType.STATUS_NOTIFICATION, EventType.EXCEPTION, EventType.NOTIFICATION

# Seed 000's table (title and level, in its order) plus the two notify events of its appendix and
# the full log store Vigil adds,
# with the name, type, status and emission Vigil gives each: written out here, not read from the code.
KMS_TABLE: list[tuple[str, str, Level, EventType, str, bool]] = [
    ("Instance:QPS:Reminder", "QPS has reached 90%", CRITICAL, NOTE, "normal", False),
    ("Key:DeleteKey:ScheduleDeletion", "Key scheduled for deletion", WARN, STATUS, "normal", True),
    ("Key:DeleteKey:ActualDeletion", "Key deleted", WARN, STATUS, "normal", True),
    ("Secret:DeleteSecret:ScheduleDeletion", "Secret scheduled for deletion", WARN, STATUS, "normal", True),
    ("Secret:DeleteSecret:ActualDeletion", "Secret deleted", WARN, STATUS, "normal", True),
    ("Secret:RotateSecret:Failure", "Managed secret rotation failed", CRITICAL, EXC, "Failed", True),
    ("Secret:RotateSecret:Success", "Managed secret rotation succeeded", INFO, STATUS, "normal", True),
    ("Instance:KeySync:Failure", "Key sync failed", CRITICAL, EXC, "Normal", False),
    ("Instance:KeySync:Success", "Key sync succeeded", INFO, STATUS, "Normal", False),
    ("Instance:ClientKey:ExpireReminder", "ClientKey expiration reminder", CRITICAL, NOTE, "Normal", False),
    ("Instance:QPS:Reminder:70%", "QPS has reached 70%", INFO, NOTE, "normal", False),
    (
        "Instance:Quota:AccessManagement:70%",
        "Access management usage has reached 70%",
        INFO,
        NOTE,
        "normal",
        True,
    ),
    (
        "Instance:Quota:AccessManagement:90%",
        "Access management usage has reached 90%",
        WARN,
        NOTE,
        "normal",
        True,
    ),
    ("Instance:Quota:Key:70%", "Key usage has reached 70%", INFO, NOTE, "normal", True),
    ("Instance:Quota:Key:90%", "Key usage has reached 90%", WARN, NOTE, "normal", True),
    ("Instance:Quota:Log:70%", "Log analysis log volume has reached 70%", INFO, NOTE, "normal", True),
    ("Instance:Quota:Log:90%", "Log analysis log volume has reached 90%", WARN, NOTE, "normal", True),
    # not in the seed: Vigil's event for a full log store (docs/events.md, "Names")
    ("Instance:Quota:Log:100%", "Log analysis log volume has reached 100%", CRITICAL, NOTE, "normal", True),
    ("Instance:Quota:Secret:70%", "Secret usage has reached 70%", INFO, NOTE, "normal", True),
    ("Instance:Quota:Secret:90%", "Secret usage has reached 90%", WARN, NOTE, "normal", True),
    (
        "KMS:NotifyReferenceCloudProduct:Success",
        "KMS resource update notification",
        INFO,
        STATUS,
        "normal",
        True,
    ),
    (
        "KMS:NotifyReferenceCloudProduct:Failed",
        "KMS resource update notification failure",
        CRITICAL,
        EXC,
        "normal",
        True,
    ),
]

# Seed 003's "Supported events" tables.
KAFKA_TABLE: list[tuple[str, Level, EventType, str]] = [
    ("Instance:Risk", WARN, EXC, "Exception"),
    ("Instance:Upgrade:Version:Notify", WARN, NOTE, "Normal"),
    ("Instance:Mutation", INFO, NOTE, "Normal"),
    ("Instance:State:Change", INFO, STATUS, "Normal"),
    ("Instance:Upgrade:Config", INFO, NOTE, "Normal"),
    ("Instance:Upgrade:Version", INFO, NOTE, "Normal"),
]

CSMS_MAPPING: list[tuple[str, str]] = [
    ("SECRET_VERSION_CREATED", "Secret:SecretVersion:Created"),
    ("SECRET_VERSION_EXPIRED", "Secret:SecretVersion:Expired"),
    ("SECRET_ROTATED", "Secret:RotateSecret:Success"),
    ("SECRET_ROTATED_FAILED", "Secret:RotateSecret:Failure"),
    ("SECRET_DELETED", "Secret:DeleteSecret:ActualDeletion"),
]

TOP_LEVEL = {"id", "product", "resourceId", "level", "instanceName", "regionId", "name", "userId", "groupId"}
TOP_LEVEL |= {"status", "time", "content"}

ALL_SPECS = list(CATALOG.values())
DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def spec_ids(spec: EventSpec) -> str:
    return spec.name


# -- counts and names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [(kms.EVENTS, 22), (kafka.EVENTS, 6), (csms.EVENTS, 2)],
    ids=["kms-seed-events", "kafka", "vigil-secret-events"],
)
def test_each_module_declares_the_seed_count(events: list[EventSpec], expected: int) -> None:
    assert len(events) == expected


def test_kms_declares_exactly_the_seed_table_and_the_notify_events() -> None:
    assert [s.name for s in kms.EVENTS] == [row[0] for row in KMS_TABLE]


def test_kafka_declares_exactly_the_seed_events() -> None:
    assert sorted(s.name for s in kafka.EVENTS) == sorted(row[0] for row in KAFKA_TABLE)


def test_names_are_unique_across_products() -> None:
    names = [s.name for s in (*kms.EVENTS, *kafka.EVENTS, *csms.EVENTS)]
    assert len(names) == len(set(names)) == len(CATALOG)


def test_catalog_products_are_kms_and_kafka() -> None:
    assert products() == ["KMS", "Kafka"]
    assert {s.payload_product for s in ALL_SPECS} == {"kms", "kafka"}


# -- levels, types and statuses from the seeds ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title", "level", "event_type", "status", "emitted"), KMS_TABLE, ids=[r[0] for r in KMS_TABLE]
)
def test_kms_event_follows_the_seed_table(
    name: str, title: str, level: Level, event_type: EventType, status: str, emitted: bool
) -> None:
    spec = CATALOG[name]
    assert (spec.product, spec.title, spec.level, spec.event_type) == ("KMS", title, level, event_type)
    assert (spec.status, spec.emitted) == (status, emitted)


@pytest.mark.parametrize(
    ("name", "level", "event_type", "status"), KAFKA_TABLE, ids=[r[0] for r in KAFKA_TABLE]
)
def test_kafka_event_follows_the_seed_table(
    name: str, level: Level, event_type: EventType, status: str
) -> None:
    spec = CATALOG[name]
    assert (spec.product, spec.level, spec.event_type, spec.status) == ("Kafka", level, event_type, status)
    assert spec.event_id_key is None


@pytest.mark.parametrize(
    ("name", "level"),
    [("Secret:SecretVersion:Created", INFO), ("Secret:SecretVersion:Expired", WARN)],
    ids=["version-created", "version-expired"],
)
def test_vigil_secret_events_are_kms_status_notifications(name: str, level: Level) -> None:
    spec = CATALOG[name]
    assert (spec.product, spec.level, spec.event_type, spec.status) == ("KMS", level, STATUS, "normal")
    assert {"secretName", "secretType", "versionId"} <= set(spec.content_fields)


def test_no_seed_event_is_maintenance() -> None:
    assert all(s.event_type is not EventType.MAINTENANCE for s in ALL_SPECS)


# -- CSMS trigger types ------------------------------------------------------------------------


@pytest.mark.parametrize(("trigger", "name"), CSMS_MAPPING, ids=[r[0] for r in CSMS_MAPPING])
def test_each_csms_trigger_type_maps_onto_one_catalog_event(trigger: str, name: str) -> None:
    assert csms.TRIGGERS[csms.TriggerEventType(trigger)] == name
    assert CATALOG[name].csms_trigger == trigger
    assert csms.trigger_of(name) == trigger


def test_only_the_mapped_events_carry_a_csms_trigger() -> None:
    carrying = {s.name for s in ALL_SPECS if s.csms_trigger is not None}
    assert carrying == {name for _, name in CSMS_MAPPING}
    assert csms.trigger_of("Key:DeleteKey:ActualDeletion") is None


# -- example payloads ----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_ids)
def test_example_has_the_seed_shape(spec: EventSpec) -> None:
    example = spec.example
    assert set(example) >= TOP_LEVEL
    assert example["name"] == spec.name
    assert example["product"] == spec.payload_product
    assert (example["level"], example["status"]) == (spec.level.value, spec.status)
    assert isinstance(example["time"], int) and example["time"] > 10**12  # milliseconds
    assert example["resourceId"].startswith(("acs:kms:", "acs:alikafka:"))
    assert example["groupId"] == "0"


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_ids)
def test_example_content_has_the_event_id_and_every_content_field(spec: EventSpec) -> None:
    content = spec.example["content"]
    if spec.event_id_key is not None:
        assert content[spec.event_id_key]
    assert set(spec.content_fields) <= set(content)
    check_content(spec, content)


@pytest.mark.parametrize("spec", kms.EVENTS, ids=spec_ids)
def test_kms_example_resource_is_in_the_payloads_region(spec: EventSpec) -> None:
    region = spec.example["regionId"]
    assert spec.example["resourceId"].startswith(
        f"acs:kms:{region}:{spec.example['userId']}:{spec.resource_kind}/"
    )


def test_notify_events_carry_the_seeds_capitalised_event_id() -> None:
    for outcome in ("Success", "Failed"):
        spec = CATALOG[f"KMS:NotifyReferenceCloudProduct:{outcome}"]
        assert spec.event_id_key == "EventId"
        assert "eventId" not in spec.example["content"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda c: c.pop("secretName"), "content.secretName"),
        (lambda c: c.update(extra=1), "content.extra"),
        (lambda c: c.pop("eventId"), "content.eventId"),
    ],
    ids=["missing-field", "unknown-field", "missing-event-id"],
)
def test_check_content_names_the_wrong_field(mutate: Callable[[dict[str, Any]], object], field: str) -> None:
    spec = CATALOG["Secret:DeleteSecret:ActualDeletion"]
    content = copy.deepcopy(spec.example["content"])
    mutate(content)
    with pytest.raises(InvalidEventContent) as caught:
        check_content(spec, content)
    assert caught.value.field == field


# -- Kafka vocabulary and content validation ---------------------------------------------------------


def test_kafka_vocabulary_is_the_seeds() -> None:
    assert kafka.RISK_DATA_FIELDS == (
        "accessLevel",
        "gradeType",
        "health",
        "levelType",
        "name",
        "originLevelType",
        "relationList",
        "reportTips",
        "reportType",
        "reportValue",
        "value",
    )
    assert len(kafka.THREAT_TYPES) == len(set(kafka.THREAT_TYPES)) == 24
    assert {"publicTcpConnection", "saramaClient", "groupTopicMap", "diskLean"} <= set(kafka.THREAT_TYPES)
    assert kafka.REPORT_TYPES == ("topic", "group", "doc", "commonBuy", "mdsKey")


SEED_RISK_CONTENT: dict[str, Any] = {
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
            "reportTips": "Too many Internet connections can affect cluster stability. Optimize the connection method.",
            "reportType": "mdsKey",
            "reportValue": "",
            "value": "298.0",
        }
    ],
    "uploadTime": 1757913918071,
}


def test_kafka_accepts_the_seed_risk_content_as_written() -> None:
    kafka.validate_content("Instance:Risk", json.loads(json.dumps(SEED_RISK_CONTENT)))


@pytest.mark.parametrize("spec", kafka.EVENTS, ids=spec_ids)
def test_kafka_accepts_every_seed_example(spec: EventSpec) -> None:
    kafka.validate_content(spec.name, copy.deepcopy(spec.example["content"]))


def _risk(**changes: object) -> dict[str, Any]:
    content = copy.deepcopy(SEED_RISK_CONTENT)
    content["riskData"][0].update(changes)
    return content


def _without(content: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in content.items() if k != key}


VERSION = copy.deepcopy(CATALOG["Instance:Upgrade:Version"].example["content"])
STATE = copy.deepcopy(CATALOG["Instance:State:Change"].example["content"])

KAFKA_REJECTIONS: list[tuple[str, str, object, str]] = [
    ("missing-field", "Instance:Risk", _without(SEED_RISK_CONTENT, "uploadTime"), "content.uploadTime"),
    ("unknown-field", "Instance:Risk", {**SEED_RISK_CONTENT, "severity": "high"}, "content.severity"),
    ("unknown-threat-type", "Instance:Risk", _risk(name="diskFull"), "content.riskData[0].name"),
    ("unknown-report-type", "Instance:Risk", _risk(reportType="ticket"), "content.riskData[0].reportType"),
    ("unknown-grade", "Instance:Risk", _risk(gradeType="C"), "content.riskData[0].gradeType"),
    ("unknown-risk-level", "Instance:Risk", _risk(levelType=3), "content.riskData[0].levelType"),
    ("health-as-string", "Instance:Risk", _risk(health="false"), "content.riskData[0].health"),
    ("access-level-as-bool", "Instance:Risk", _risk(accessLevel=True), "content.riskData[0].accessLevel"),
    ("unknown-risk-field", "Instance:Risk", _risk(score=5), "content.riskData[0].score"),
    ("risk-data-not-a-list", "Instance:Risk", {**SEED_RISK_CONTENT, "riskData": {}}, "content.riskData"),
    (
        "risk-item-not-an-object",
        "Instance:Risk",
        {**SEED_RISK_CONTENT, "riskData": ["x"]},
        "content.riskData[0]",
    ),
    (
        "wrong-event-type",
        "Instance:Risk",
        {**SEED_RISK_CONTENT, "eventType": "Notification"},
        "content.eventType",
    ),
    (
        "upload-time-as-string",
        "Instance:Risk",
        {**SEED_RISK_CONTENT, "uploadTime": "1"},
        "content.uploadTime",
    ),
    (
        "version-without-minor",
        "Instance:Upgrade:Version",
        {**VERSION, "data": {**VERSION["data"], "newPropertyValues": {"openSourceVersion": "2.2.0"}}},
        "content.data.newPropertyValues.serviceMiniVersion",
    ),
    ("state-as-object", "Instance:State:Change", {**STATE, "data": {"to": "Stopped"}}, "content.data"),
    ("notify-without-version", "Instance:Upgrade:Version:Notify", {}, "content.version"),
    ("content-not-an-object", "Instance:Mutation", ["data"], "content"),
]


@pytest.mark.parametrize(
    ("name", "content", "field"), [r[1:] for r in KAFKA_REJECTIONS], ids=[r[0] for r in KAFKA_REJECTIONS]
)
def test_kafka_rejects_content_off_the_seed(name: str, content: object, field: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(field)) as caught:
        kafka.validate_content(name, content)
    assert isinstance(caught.value, InvalidEventContent)
    assert caught.value.field == field


def test_kafka_rejects_an_unknown_event_name() -> None:
    with pytest.raises(InvalidArgument, match="'Instance:Reboot' is not a Kafka event"):
        kafka.validate_content("Instance:Reboot", {})


def test_kafka_open_property_maps_take_any_property() -> None:
    content = copy.deepcopy(CATALOG["Instance:Upgrade:Config"].example["content"])
    content["data"]["newPropertyValues"] = {"log.retention.hours": "72", "num.partitions": 12}
    kafka.validate_content("Instance:Upgrade:Config", content)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" WARN", WARN), ("INFO", INFO), ("critical\n", CRITICAL)],
    ids=["seed-leading-space", "exact", "lower-case-trailing-newline"],
)
def test_levels_are_read_with_stray_whitespace_forgiven(text: str, expected: Level) -> None:
    assert parse_level(text) is expected


@pytest.mark.parametrize("text", ["", "ERROR", "W ARN"], ids=["empty", "unknown", "inner-space"])
def test_unknown_levels_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="is not one of CRITICAL, WARN, INFO"):
        parse_level(text)


# -- docs/events.md stays in step with the catalog --------------------------------------------------


def _documented_examples() -> dict[str, Any]:
    text = DOCS.read_text(encoding="utf-8")
    found = re.findall(r"^#### `([^`]+)`\n.*?```json\n(.*?)\n```", text, flags=re.M | re.S)
    return {name: json.loads(body) for name, body in found}


@pytest.mark.parametrize("spec", ALL_SPECS, ids=spec_ids)
def test_docs_show_the_catalog_example(spec: EventSpec) -> None:
    assert _documented_examples().get(spec.name) == spec.example
