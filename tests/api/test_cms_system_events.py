"""DescribeSystemEventAttribute, -Count and -Histogram through the unmodified CMS SDK, over events
caused for real by KMS calls, secret deletion, a webhook rotation that succeeds then fails, and a
key quota crossing: every filter, keywords, time formats, paging edges, exact types and retention.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
from alibabacloud_cms20190101 import models as cms
from alibabacloud_kms20160120 import models as kms_models

from tests.api.cms_support import (
    RecordingCms,
    assert_seed_shape,
    assert_shape,
    cms_client,
    fails,
    invalid,
    names,
    search,
)
from tests.conftest import RunningServer, ServerFactory
from vigil.testing import LocalReceiver, Reply

DAY = 86_400
EXPECTED = Counter(
    {
        "Key:DeleteKey:ScheduleDeletion": 1,
        "Secret:SecretVersion:Created": 3,  # v1 of each secret and the promoted v2; the discarded v3 is never announced
        "Secret:DeleteSecret:ScheduleDeletion": 1,
        "Secret:RotateSecret:Success": 1,
        "Secret:RotateSecret:Failure": 1,
        "Instance:Quota:Key:70%": 1,
    }
)


@dataclass(slots=True)
class World:
    """A server on which every kind of KMS event was caused once, through its real trigger."""

    server: RunningServer
    cms: RecordingCms
    key_id: str


def _shrink_quota(server: RunningServer, column: str, limit: int) -> None:
    services = server.app.services
    with services.db.transaction() as tx:
        tx.execute(f"UPDATE kms_instances SET {column} = ?", (limit,))
    services.instances._cache.invalidate()


def _create_secret(kms: Any, name: str, **fields: Any) -> None:
    request = kms_models.CreateSecretRequest(
        secret_name=name, secret_data="value-1", version_id="v1", **fields
    )
    kms.create_secret(request)


def _rotate(kms: Any, name: str, version: str) -> None:
    kms.rotate_secret(kms_models.RotateSecretRequest(secret_name=name, version_id=version))


@pytest.fixture
def world(server: RunningServer) -> World:
    kms = server.kms()
    _shrink_quota(server, "key_quota", 5)
    key_id = kms.create_key(kms_models.CreateKeyRequest()).body.key_metadata.key_id
    kms.schedule_key_deletion(kms_models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    _create_secret(kms, "app/db")
    server.app.services.secrets.delete_secret(server.account_id, "app/db", 7, force=False)
    with LocalReceiver() as hook:
        _create_secret(kms, "hooked", extended_config={"RotationWebhook": hook.url})
        _rotate(kms, "hooked", "v2")
        hook.push(Reply(200), Reply(500))
        error = fails(lambda: _rotate(kms, "hooked", "v3"))
        assert error.code == "Webhook.StepFailed"
    for _ in range(2):  # with the key that protects the secrets: 4 of 5 keys, past 70 % only
        kms.create_key(kms_models.CreateKeyRequest())
    return World(server, cms_client(server), key_id)


def test_every_caused_event_is_found_in_the_seed_shape_with_exact_types(world: World) -> None:
    items = search(world.cms, page_size=100)
    assert Counter(names(items)) == EXPECTED
    raw = assert_shape(world.cms, "DescribeSystemEventAttributeResponseBody")
    assert (raw["Code"], raw["Message"], raw["Success"]) == ("200", "", "true")
    assert all(
        isinstance(e["Time"], int) and isinstance(e["Content"], str)
        for e in raw["SystemEvents"]["SystemEvent"]
    )
    for item in items:
        assert_seed_shape(item, world.server.account_id)
    times = [item.time for item in items]
    assert times == sorted(times, reverse=True), "newest first"
    [scheduled] = search(world.cms, name="Key:DeleteKey:ScheduleDeletion")
    content = json.loads(scheduled.content)
    assert content["keyId"] == world.key_id == scheduled.instance_name
    assert scheduled.resource_id == f"acs:kms:cn-hangzhou:{world.server.account_id}:key/{world.key_id}"
    [failure] = search(world.cms, name="Secret:RotateSecret:Failure")
    assert json.loads(failure.content)["failureInfo"]["errorCode"] == "Webhook.StepFailed"


@pytest.mark.parametrize("product", ["KMS", "kms", "Kms", " kMs "])
def test_the_product_filter_ignores_case(world: World, product: str) -> None:
    assert Counter(names(search(world.cms, product=product, page_size=100))) == EXPECTED


def test_each_filter_narrows_to_its_events(world: World) -> None:
    c = world.cms
    assert search(c, product="Kafka") == []
    assert names(search(c, name="Secret:RotateSecret:Success")) == ["Secret:RotateSecret:Success"]
    assert search(c, name="secret:rotatesecret:success") == [], "names match exactly"
    assert Counter(names(search(c, level="WARN", page_size=100))) == Counter(
        {"Key:DeleteKey:ScheduleDeletion": 1, "Secret:DeleteSecret:ScheduleDeletion": 1}
    )
    assert names(search(c, level="critical")) == ["Secret:RotateSecret:Failure"]
    assert names(search(c, event_type="Exception")) == ["Secret:RotateSecret:Failure"]
    assert names(search(c, event_type="notification")) == ["Instance:Quota:Key:70%"]
    assert len(search(c, event_type="StatusNotification", page_size=100)) == 6
    assert names(search(c, status="failed")) == ["Secret:RotateSecret:Failure"], "status ignores case"
    assert len(search(c, status="Normal", page_size=100)) == 7
    assert len(search(c, group_id="0", page_size=100)) == 8
    assert search(c, group_id="42") == []
    both = search(c, product="kms", level="INFO", event_type="StatusNotification", page_size=100)
    assert Counter(names(both)) == Counter(
        {"Secret:SecretVersion:Created": 3, "Secret:RotateSecret:Success": 1}
    )


def test_search_keywords_join_terms_with_and_or_or(world: World) -> None:
    c = world.cms
    assert len(search(c, search_keywords="hooked", page_size=100)) == 4
    assert names(search(c, search_keywords="hooked and Webhook.StepFailed")) == [
        "Secret:RotateSecret:Failure"
    ]
    assert names(search(c, search_keywords="HOOKED AND webhook.stepfailed")) == [
        "Secret:RotateSecret:Failure"
    ]
    either = search(c, search_keywords=f"{world.key_id} or app/db", page_size=100)
    assert Counter(names(either)) == Counter(
        {
            "Key:DeleteKey:ScheduleDeletion": 1,
            "Secret:SecretVersion:Created": 1,
            "Secret:DeleteSecret:ScheduleDeletion": 1,
        }
    )
    assert search(c, search_keywords="hooked and app/db") == []
    assert search(c, search_keywords="50%_") == [], "% and _ are literal characters"
    invalid(lambda: search(c, search_keywords="a and b or c"), "SearchKeywords", "and", "or")


def test_pages_walk_newest_first_and_end_in_an_empty_page(world: World) -> None:
    everything = search(world.cms, page_size=100)
    pages = [search(world.cms, page_number=n, page_size=4) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [4, 4, 0, 0]
    assert [e.id for p in pages for e in p] == [e.id for e in everything]
    assert len(search(world.cms)) == 8, "the default page size is 10"
    assert search(world.cms, page_number=1_000) == []
    raw = assert_shape(world.cms, "DescribeSystemEventAttributeResponseBody")
    assert raw["SystemEvents"] == {"SystemEvent": []}
    invalid(lambda: search(world.cms, page_size=0), "PageSize")
    invalid(lambda: search(world.cms, page_size=101), "PageSize", "100")
    invalid(lambda: search(world.cms, page_number=0), "PageNumber")


def test_levels_and_event_types_outside_the_catalog_are_refused_by_name(world: World) -> None:
    invalid(lambda: search(world.cms, level="URGENT"), "Level", "URGENT", "CRITICAL, WARN, INFO")
    invalid(lambda: search(world.cms, event_type="Alarm"), "EventType", "Alarm", "StatusNotification")


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_start_and_end_time_take_seconds_milliseconds_or_dates(world: World) -> None:
    c = world.cms
    world.server.advance(DAY)
    world.server.kms().create_secret(
        kms_models.CreateSecretRequest(secret_name="later", secret_data="x", version_id="v1")
    )
    [later] = search(c, search_keywords="later")
    t = later.time
    for start in (str(t // 1000), str(t), _date(t)):
        assert [e.id for e in search(c, start_time=start)] == [later.id], start
    for end in (str(t // 1000), str(t), _date(t)):
        before = search(c, end_time=end, page_size=100)
        assert Counter(names(before)) == EXPECTED, f"EndTime {end} is exclusive"
    day_before = t - DAY * 1000
    window = search(
        c, start_time=str((day_before - 3_600_000) // 1000), end_time=str(t - 3_600_000), page_size=100
    )
    assert Counter(names(window)) == EXPECTED
    assert search(c, start_time="2020-01-01 00:00:00", end_time="2020-01-02 00:00:00") == []
    invalid(lambda: search(c, start_time="yesterday"), "StartTime", "yesterday")
    invalid(lambda: search(c, end_time="2026-13-01 00:00:00"), "EndTime")
    invalid(lambda: search(c, start_time=str(t), end_time=str(t - 1)), "StartTime", "EndTime")
    invalid(lambda: search(c, start_time="9" * 20), "StartTime")


def test_counts_group_events_with_the_newest_of_each_group(world: World) -> None:
    body = world.cms.describe_system_event_count(cms.DescribeSystemEventCountRequest()).body
    raw = assert_shape(world.cms, "DescribeSystemEventCountResponseBody")
    assert (raw["Code"], raw["Success"]) == ("200", "true")
    counts = {row.name: row for row in body.system_event_counts.system_event_count}
    assert {name: row.num for name, row in counts.items()} == dict(EXPECTED)
    created = counts["Secret:SecretVersion:Created"]
    newest = search(world.cms, name="Secret:SecretVersion:Created")[0]
    assert (created.time, created.content, created.resource_id) == (
        newest.time,
        newest.content,
        newest.resource_id,
    )
    assert all(isinstance(row.num, int) and isinstance(row.time, int) for row in counts.values())
    warn = world.cms.describe_system_event_count(
        cms.DescribeSystemEventCountRequest(level="WARN", product="KMS")
    )
    assert {row.name: row.num for row in warn.body.system_event_counts.system_event_count} == {
        "Key:DeleteKey:ScheduleDeletion": 1,
        "Secret:DeleteSecret:ScheduleDeletion": 1,
    }
    invalid(
        lambda: world.cms.describe_system_event_count(cms.DescribeSystemEventCountRequest(start_time="soon")),
        "StartTime",
    )


def _histogram(world: World, **filters: Any) -> list[Any]:
    request = cms.DescribeSystemEventHistogramRequest(**filters)
    body = world.cms.describe_system_event_histogram(request).body
    assert body.success == "true"
    return list(body.system_event_histograms.system_event_histogram)


def test_the_histogram_covers_the_range_in_at_most_24_whole_minute_buckets(world: World) -> None:
    buckets = _histogram(world)
    assert_shape(world.cms, "DescribeSystemEventHistogramResponseBody")
    assert 1 <= len(buckets) <= 24 and sum(b.count for b in buckets) == 8
    assert all(b.end_time == nxt.start_time for b, nxt in pairwise(buckets))
    end = search(world.cms)[0].time + 1
    start = end - 3_600_000
    hour = _histogram(world, start_time=str(start), end_time=str(end))
    assert len(hour) == 20, "one hour in 3-minute buckets"
    assert hour[0].start_time == start and hour[-1].end_time == end
    assert all((b.end_time - b.start_time) == 180_000 for b in hour[:-1])
    assert [b.count for b in hour][-1] == 8 and sum(b.count for b in hour) == 8
    errors = _histogram(world, start_time=str(start), end_time=str(end), level="CRITICAL")
    assert sum(b.count for b in errors) == 1
    invalid(lambda: _histogram(world, level="loud"), "Level")


def test_events_are_kept_for_90_days_and_then_removed(world: World) -> None:
    caused = {e.id for e in search(world.cms, page_size=100)}
    world.server.advance(89 * DAY)
    kept = search(world.cms, page_size=100)
    assert caused <= {e.id for e in kept}
    assert "Key:DeleteKey:ActualDeletion" in names(kept), "the 7-day windows ended on the way"
    world.server.advance(2 * DAY)
    remaining = search(world.cms, start_time="0", page_size=100)
    assert caused.isdisjoint(e.id for e in remaining), "91 days old: removed, not just filtered out"
    assert {e.name for e in remaining} == {
        "Key:DeleteKey:ActualDeletion",
        "Secret:DeleteSecret:ActualDeletion",
    }


def test_the_retention_period_is_configurable(start_server: ServerFactory) -> None:
    server = start_server(event_retention_days=7)
    client = cms_client(server)
    kms = server.kms()
    key_id = kms.create_key(kms_models.CreateKeyRequest()).body.key_metadata.key_id
    kms.schedule_key_deletion(kms_models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=30))
    server.advance(6 * DAY)
    assert names(search(client)) == ["Key:DeleteKey:ScheduleDeletion"]
    server.advance(2 * DAY)
    assert search(client, start_time="0") == []


def test_events_are_authorised_on_the_cms_event_resource(world: World) -> None:
    root = world.server.client()
    root.vigil("CreateUser", {"UserName": "watcher"})
    created = root.vigil("CreateAccessKey", {"UserName": "watcher"})["AccessKey"]
    user = cms_client(world.server, created["AccessKeyId"], created["AccessKeySecret"])
    denied = fails(lambda: search(user))
    assert (denied.status_code, denied.code) == (403, "Forbidden.RAM")
    assert "cms:DescribeSystemEventAttribute" in denied.message
    assert f"acs:cms:cn-hangzhou:{world.server.account_id}:event/*" in denied.message
    statement = {"Effect": "Allow", "Action": ["cms:DescribeSystemEvent*"], "Resource": "acs:cms:*:*:event/*"}
    document = json.dumps({"Version": "1", "Statement": [statement]})
    root.vigil("CreatePolicy", {"PolicyName": "read-events", "PolicyDocument": document})
    root.vigil("AttachPolicyToUser", {"PolicyName": "read-events", "UserName": "watcher"})
    assert len(search(user, page_size=100)) == 8
    request = cms.SendDryRunSystemEventRequest(product="KMS", event_name="Secret:RotateSecret:Failure")
    assert fails(lambda: user.send_dry_run_system_event(request)).code == "Forbidden.RAM"
