"""Other products' system events (Kafka through Vigil's PutSystemEvents), fire drills
(SendDryRunSystemEvent) and the catalog (DescribeSystemEventMetaList), through the CMS SDK.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from alibabacloud_cms20190101 import models as cms

from tests.api.cms_support import assert_seed_shape, assert_shape, cms_client, invalid, names, search
from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer
from vigil.client import VIGIL, VigilApiError, acs3_headers
from vigil.events.catalog import CATALOG, kafka
from vigil.events.query import EventFilter

KAFKA_EXAMPLES = [spec.example for spec in kafka.EVENTS]


def publish(server: RunningServer, events: list[dict[str, Any]], product: str = "Kafka") -> list[str]:
    body = server.client().vigil("PutSystemEvents", {"Product": product, "Events": json.dumps(events)})
    ids: list[str] = body["EventIds"]["EventId"]
    return ids


def refused(server: RunningServer, events: list[dict[str, Any]], *words: str, product: str = "Kafka") -> str:
    with pytest.raises(VigilApiError) as info:
        publish(server, events, product)
    assert (info.value.status, info.value.code) == (400, "InvalidParameter")
    for word in words:
        assert word in info.value.message, info.value.message
    return info.value.message


def stored(server: RunningServer) -> list[Any]:
    return server.app.services.events.search(server.account_id, EventFilter(0, 2**62), 1, 100)


# -- ingest ----------------------------------------------------------------------------------


def test_kafka_publishes_the_six_seed_examples_and_cms_finds_them_as_the_seed_wrote_them(
    server: RunningServer,
) -> None:
    ids = publish(server, KAFKA_EXAMPLES)
    assert len(ids) == 6
    client = cms_client(server)
    for product in ("Kafka", "kafka", "KAFKA"):
        assert Counter(names(search(client, product=product, page_size=100))) == Counter(
            e["name"] for e in KAFKA_EXAMPLES
        )
    for example in KAFKA_EXAMPLES:
        [item] = search(client, product="kafka", name=example["name"])
        assert item.id in ids
        content = assert_seed_shape(item, server.account_id)
        assert content == example["content"], "content kept field for field, with no event id added"
        assert (item.resource_id, item.instance_name) == (example["resourceId"], example["instanceName"])
        assert (item.level, item.status) == (example["level"], example["status"])
    assert search(client, product="KMS") == []
    [risk] = search(client, search_keywords="publicTcpConnection and mdsKey")
    assert risk.name == "Instance:Risk"
    payloads = {e.name: e.payload() for e in stored(server)}
    assert payloads["Instance:Risk"]["product"] == "kafka" and "drill" not in payloads["Instance:Risk"]


def test_stray_whitespace_in_a_published_level_is_normalised(server: RunningServer) -> None:
    notify = copy.deepcopy(CATALOG["Instance:Upgrade:Version:Notify"].example)
    notify["level"] = " WARN"
    publish(server, [notify])
    [item] = search(cms_client(server), name="Instance:Upgrade:Version:Notify", level="WARN")
    assert item.level == "WARN"


def _risk(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(CATALOG["Instance:Risk"].example)
    event["content"]["riskData"][0].update(changes)
    return event


def test_a_large_batch_travels_as_a_form_body_and_is_stored_in_one_go(server: RunningServer) -> None:
    batch = [_risk(value=str(i)) for i in range(400)]
    body = urlencode({"Product": "kafka", "Events": json.dumps(batch)}).encode()
    headers = acs3_headers(
        "POST",
        server.endpoint,
        {},
        "PutSystemEvents",
        VIGIL,
        ROOT_AK,
        ROOT_SECRET,
        body=body,
        content_type="application/x-www-form-urlencoded",
    )
    response = httpx.post(server.url + "/", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert len(response.json()["EventIds"]["EventId"]) == 400
    counts = cms_client(server).describe_system_event_count(
        cms.DescribeSystemEventCountRequest(product="Kafka")
    )
    assert [(row.name, row.num) for row in counts.body.system_event_counts.system_event_count] == [
        ("Instance:Risk", 400)
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"name": "diskFull"}, ["event 2", "content.riskData[0].name", "diskFull", "publicTcpConnection"]),
        ({"reportType": "pdf"}, ["event 2", "content.riskData[0].reportType", "mdsKey"]),
        ({"levelType": 5}, ["event 2", "content.riskData[0].levelType"]),
        ({"health": "no"}, ["event 2", "content.riskData[0].health", "boolean"]),
        ({"colour": "red"}, ["event 2", "content.riskData[0].colour", "not a field"]),
    ],
    ids=[
        "unknown-threat",
        "unknown-report-type",
        "level-type-out-of-range",
        "health-not-bool",
        "unknown-field",
    ],
)
def test_a_kafka_event_with_a_bad_risk_data_field_is_refused_and_nothing_is_stored(
    server: RunningServer, change: dict[str, Any], words: list[str]
) -> None:
    message = refused(server, [KAFKA_EXAMPLES[1], _risk(**change)], "Events", *words)
    assert "Instance:Risk" in message or "riskData" in message
    assert stored(server) == [], "a batch is stored all or none"


def test_published_events_must_match_the_catalog(server: RunningServer) -> None:
    example = KAFKA_EXAMPLES[2]
    refused(server, [{**example, "name": "Instance:Explode"}], "Events", "event 1", "Instance:Explode")
    refused(server, [{**example, "level": "CRITICAL"}], "event 1", "CRITICAL", "INFO")
    refused(server, [{**example, "level": "LOUD"}], "event 1", "LOUD")
    refused(server, [{**example, "product": "ecs"}], "event 1", "ecs")
    refused(server, [{k: v for k, v in example.items() if k != "resourceId"}], "event 1", "resourceId")
    refused(server, [{**example, "content": "text"}], "event 1", "content")
    without_data = {**example, "content": {k: v for k, v in example["content"].items() if k != "data"}}
    refused(server, [without_data], "event 1", "data")
    refused(server, ["not an object"], "event 1")
    assert stored(server) == []


def test_put_system_events_names_the_product_and_the_events_parameter(server: RunningServer) -> None:
    refused(server, KAFKA_EXAMPLES, "Product", "Ecs", "Kafka", product="Ecs")
    refused(server, KAFKA_EXAMPLES, "Product", "KMS", product="KMS")
    refused(server, [], "Events", "non-empty")
    with pytest.raises(VigilApiError) as info:
        server.client().vigil("PutSystemEvents", {"Product": "Kafka", "Events": "{not json"})
    assert info.value.code == "InvalidParameter" and "Events" in info.value.message
    with pytest.raises(VigilApiError) as info:
        server.client().vigil("PutSystemEvents", {"Product": "Kafka"})
    assert info.value.code == "MissingParameter" and "Events" in info.value.message
    assert stored(server) == []


# -- fire drills -----------------------------------------------------------------------------


def _dry_run(client: Any, **fields: Any) -> Any:
    return client.send_dry_run_system_event(cms.SendDryRunSystemEventRequest(**fields))


def test_a_dry_run_raises_a_catalog_event_marked_as_a_drill(server: RunningServer) -> None:
    client = cms_client(server)
    content = {
        "secretName": "payments/db",
        "secretType": "Rds",
        "rotationEntityArn": f"acs:kms:cn-hangzhou:{server.account_id}:secret/payments/db",
        "rotationStatus": "Enabled",
        "secretSubType": "SingleUser",
        "failureInfo": {"errorCode": "Drill", "errorMessage": "fire drill"},
        "failureTime": "2026-01-01T00:00:00Z",
    }
    body = _dry_run(
        client,
        product="kms",
        event_name="Secret:RotateSecret:Failure",
        group_id="42",
        event_content=json.dumps(content),
    ).body
    raw = assert_shape(client, "SendDryRunSystemEventResponseBody")
    assert (body.code, body.message, body.success) == ("200", "", "true")
    assert raw["Success"] == "true"
    [item] = search(client, group_id="42")
    parsed = json.loads(item.content)
    assert parsed["drill"] is True and parsed["secretName"] == "payments/db"
    assert parsed["eventId"].startswith(f"{server.account_id}:")
    assert (item.name, item.level, item.status, item.product) == (
        "Secret:RotateSecret:Failure",
        "CRITICAL",
        "Failed",
        "KMS",
    )
    assert [e.id for e in search(client, search_keywords="drill")] == [item.id]
    [event] = stored(server)
    assert event.is_drill and event.source == "drill"
    assert event.payload()["drill"] is True and event.payload()["groupId"] == "42"


def test_a_dry_run_without_content_uses_the_catalog_example_in_the_callers_account(
    server: RunningServer,
) -> None:
    client = cms_client(server)
    _dry_run(client, product="Kafka", event_name="Instance:Risk")
    [item] = search(client, product="kafka")
    spec = CATALOG["Instance:Risk"]
    expected = {**spec.example["content"], "drill": True}
    assert json.loads(item.content) == expected
    assert item.resource_id.startswith(f"acs:alikafka:cn-hangzhou:{server.account_id}:instance/")
    assert item.group_id == "0"


def test_a_dry_run_names_what_is_wrong(server: RunningServer) -> None:
    client = cms_client(server)
    invalid(lambda: _dry_run(client, product="KMS", event_name="Key:Melt"), "EventName", "Key:Melt")
    invalid(lambda: _dry_run(client, product="Kafka", event_name="Key:DeleteKey:ScheduleDeletion"), "Product")
    invalid(
        lambda: _dry_run(
            client, product="KMS", event_name="Key:DeleteKey:ScheduleDeletion", event_content="[1]"
        ),
        "EventContent",
    )
    assert stored(server) == []


# -- the catalog -----------------------------------------------------------------------------


def test_the_meta_list_serves_all_30_catalog_events(server: RunningServer) -> None:
    client = cms_client(server)
    body = client.describe_system_event_meta_list(cms.DescribeSystemEventMetaListRequest()).body
    raw = assert_shape(client, "DescribeSystemEventMetaListResponseBody")
    assert (raw["Code"], raw["Success"]) == (200, True)
    resources = body.data.resource
    assert len(resources) == 30 == len(CATALOG)
    assert [r.name for r in resources] == list(CATALOG)
    assert Counter(r.product for r in resources) == Counter({"KMS": 24, "Kafka": 6})
    by_name = {r.name: r for r in resources}
    failure = by_name["Secret:RotateSecret:Failure"]
    assert (failure.level, failure.event_type, failure.status) == ("CRITICAL", "Exception", "Failed")
    assert raw["Data"]["Resource"][0]["NameDesc.En"] == resources[0].name_desc_en != ""
    risk = by_name["Instance:Risk"]
    assert (risk.product, risk.level, risk.event_type) == ("Kafka", "WARN", "Exception")
