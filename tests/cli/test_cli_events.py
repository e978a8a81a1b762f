"""``vigil events search`` and ``vigil events catalog`` against a real server: events caused by real
KMS calls, every filter, time bounds, paging, drills, errors, and the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from alibabacloud_cms20190101 import models as cms
from alibabacloud_cms20190101.client import Client
from alibabacloud_tea_openapi.models import Config

from tests.cli.cli_harness import Cli
from tests.conftest import REGION, ROOT_AK, ROOT_SECRET, RunningServer
from vigil.events.catalog import CATALOG


@pytest.fixture
def vigil(server: RunningServer, tmp_path: Path) -> Cli:
    return Cli(server.url, tmp_path / "config")


def _cms(server: RunningServer) -> Client:
    return Client(
        Config(
            access_key_id=ROOT_AK,
            access_key_secret=ROOT_SECRET,
            endpoint=server.endpoint,
            protocol="http",
            region_id=REGION,
        )
    )


def _scheduled_keys(vigil: Cli, count: int) -> list[str]:
    keys = [vigil.new_key() for _ in range(count)]
    for key_id in keys:
        vigil.ok("keys", "schedule-deletion", key_id, "--days", "7")
    return keys


def test_search_shows_a_scheduled_key_deletion_as_a_table_and_as_json(vigil: Cli) -> None:
    [key_id] = _scheduled_keys(vigil, 1)
    out = vigil.ok("events", "search")
    assert "Key:DeleteKey:ScheduleDeletion" in out and "WARN" in out and "KMS" in out
    [event] = vigil.json("events", "search", "--name", "Key:DeleteKey:ScheduleDeletion")
    assert (event["Product"], event["Level"], event["InstanceName"]) == ("KMS", "WARN", key_id)
    assert isinstance(event["Time"], int)
    assert event["Content"]["keyId"] == key_id and event["Content"]["eventId"].endswith(
        f":{key_id}:{event['Time'] // 1000}"
    )


def test_search_passes_every_filter(vigil: Cli, server: RunningServer) -> None:
    first, second = _scheduled_keys(vigil, 2)
    _cms(server).send_dry_run_system_event(
        cms.SendDryRunSystemEventRequest(
            product="KMS", event_name="Secret:RotateSecret:Failure", group_id="9"
        )
    )

    def found(*args: str) -> list[str]:
        return [e["Name"] for e in vigil.json("events", "search", *args)]

    assert found("--product", "kms", "--level", "warn") == ["Key:DeleteKey:ScheduleDeletion"] * 2
    assert found("--product", "Kafka") == []
    assert found("--event-type", "Exception") == ["Secret:RotateSecret:Failure"]
    assert found("--status", "failed", "--group-id", "9") == ["Secret:RotateSecret:Failure"]
    assert (
        found("--group-id", "0", "--name", "Key:DeleteKey:ScheduleDeletion")
        == ["Key:DeleteKey:ScheduleDeletion"] * 2
    )
    assert len(found("--keywords", f"{first} or {second}")) == 2
    assert len(found("--keywords", f"{first} and {second}")) == 0
    newest = vigil.json("events", "search")[0]["Time"]
    assert found("--start", str(newest // 1000 + 1)) == []
    assert len(found("--start", "0", "--end", str(newest + 1))) == 3
    assert found("--end", "2020-01-01 00:00:00") == []


def test_a_drill_is_marked_in_the_table(vigil: Cli, server: RunningServer) -> None:
    _cms(server).send_dry_run_system_event(
        cms.SendDryRunSystemEventRequest(product="KMS", event_name="Secret:RotateSecret:Failure")
    )
    assert "Secret:RotateSecret:Failure (drill)" in vigil.ok("events", "search")
    [event] = vigil.json("events", "search")
    assert event["Content"]["drill"] is True and event["Name"] == "Secret:RotateSecret:Failure"


def test_search_pages_newest_first_and_says_when_a_page_is_full(vigil: Cli) -> None:
    _scheduled_keys(vigil, 3)
    every = [e["Id"] for e in vigil.json("events", "search")]
    assert len(every) == 3
    result = vigil.run("events", "search", "--page-size", "2")
    assert result.exit_code == 0 and "--page 2 shows older events" in result.stderr
    pages = [vigil.json("events", "search", "--page-size", "2", "--page", str(n)) for n in (1, 2, 3)]
    assert [[e["Id"] for e in page] for page in pages] == [every[:2], every[2:], []]


def test_search_errors_are_one_line(vigil: Cli) -> None:
    bad_level = vigil.fails("events", "search", "--level", "LOUD")
    assert bad_level.stderr.startswith("Error: InvalidParameter: Level 'LOUD'")
    bad_time = vigil.fails("events", "search", "--start", "yesterday")
    assert "StartTime" in bad_time.stderr
    mixed = vigil.fails("events", "search", "--keywords", "a and b or c")
    assert "SearchKeywords" in mixed.stderr
    usage = vigil.fails("events", "search", "--page-size", "101", code=2)
    assert "--page-size" in usage.stderr


def test_catalog_lists_every_event_and_filters_by_product(vigil: Cli) -> None:
    out = vigil.ok("events", "catalog")
    assert all(name in out for name in CATALOG), "names are never cut"
    entries = vigil.json("events", "catalog")
    assert [e["Name"] for e in entries] == list(CATALOG)
    kafka = vigil.json("events", "catalog", "--product", "kafka")
    assert {e["Product"] for e in kafka} == {"Kafka"} and len(kafka) == 6
    assert kafka[0]["NameDesc.En"]


def test_events_help_lists_its_subcommands(vigil: Cli) -> None:
    out = vigil.ok("events", "--help")
    assert "search" in out and "catalog" in out
    search_help = vigil.ok("events", "search", "--help")
    for option in ("--product", "--event-type", "--name", "--level", "--status", "--group-id", "--keywords"):
        assert option in search_help
    for option in ("--start", "--end", "--page", "--page-size", "--json"):
        assert option in search_help
