"""PutCustomEvent and DescribeCustomEventAttribute through the unmodified CMS SDK: every filter,
the time formats, paging edges, exact types, errors, and retention with the test clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alibabacloud_cms20190101 import models as cms

from tests.api.cms_support import RecordingCms, assert_shape, cms_client, fails, invalid
from tests.conftest import RunningServer

DAY = 86_400
Info = cms.PutCustomEventRequestEventInfo


def put(client: RecordingCms, *infos: Info) -> Any:
    return client.put_custom_event(cms.PutCustomEventRequest(event_info=list(infos))).body


def custom(client: RecordingCms, **filters: Any) -> list[Any]:
    body = client.describe_custom_event_attribute(cms.DescribeCustomEventAttributeRequest(**filters)).body
    assert body.success == "true"
    return list(body.custom_events.custom_event)


def now_ms(server: RunningServer) -> int:
    return server.app.services.clock.now_ms()


@pytest.fixture
def client(server: RunningServer) -> RecordingCms:
    return cms_client(server)


def test_custom_events_are_stored_and_found_by_each_filter(
    server: RunningServer, client: RecordingCms
) -> None:
    t = now_ms(server) - 60_000
    body = put(
        client,
        Info(event_name="deploy", content="payments v42 rolled out", group_id="7", time=str(t)),
        Info(event_name="deploy", content="search v3 rolled out", time=str(t // 1000 + 10)),
        Info(event_name="backup", content="nightly backup of payments done"),
    )
    raw = assert_shape(client, "PutCustomEventResponseBody")
    assert (body.code, raw["Message"]) == ("200", "")
    everything = custom(client)
    raw = assert_shape(client, "DescribeCustomEventAttributeResponseBody")
    assert (raw["Code"], raw["Success"]) == ("200", "true")
    assert [e.name for e in everything] == ["backup", "deploy", "deploy"], "newest first"
    first = everything[-1]
    assert (first.content, first.group_id, first.time) == ("payments v42 rolled out", "7", str(t))
    assert isinstance(first.time, str) and isinstance(first.id, str)
    assert everything[1].time == str((t // 1000 + 10) * 1000), "Time in seconds"
    assert [e.name for e in custom(client, name="deploy")] == ["deploy", "deploy"]
    assert [e.id for e in custom(client, event_id=first.id)] == [first.id]
    assert [e.id for e in custom(client, group_id="7")] == [first.id]
    assert [e.name for e in custom(client, group_id="0")] == ["backup", "deploy"]
    assert [e.name for e in custom(client, search_keywords="payments")] == ["backup", "deploy"]
    assert [e.content for e in custom(client, search_keywords="payments and rolled")] == [
        "payments v42 rolled out"
    ]
    assert len(custom(client, search_keywords="nightly or search")) == 2
    assert custom(client, name="Deploy") == []
    invalid(lambda: custom(client, search_keywords="a or b and c"), "SearchKeywords")


def test_custom_events_take_the_cms_time_format_and_a_time_window(
    server: RunningServer, client: RecordingCms
) -> None:
    now = now_ms(server)
    stamp = datetime.fromtimestamp(now / 1000, UTC)
    cms_time = stamp.strftime("%Y%m%dT%H%M%S.") + f"{now % 1000:03d}+0000"
    put(client, Info(event_name="cms-format", content="c", time=cms_time))
    put(client, Info(event_name="date-format", content="d", time=stamp.strftime("%Y-%m-%d %H:%M:%S")))
    [cms_event] = custom(client, name="cms-format")
    assert cms_event.time == str(now)
    [dated] = custom(client, name="date-format")
    assert dated.time == str(now // 1000 * 1000)
    assert custom(client, start_time=str(now // 1000 + 1)) == []
    assert {e.name for e in custom(client, start_time=str(now // 1000), end_time=str(now + 1))} == {
        "cms-format",
        "date-format",
    }
    assert custom(client, end_time=stamp.strftime("%Y-%m-%d %H:%M:%S")) == []
    invalid(lambda: custom(client, start_time="noon"), "StartTime")


def test_custom_event_pages_end_in_an_empty_page(server: RunningServer, client: RecordingCms) -> None:
    put(
        client,
        *(Info(event_name=f"e{i}", content=str(i), time=str(now_ms(server) - 1000 + i)) for i in range(7)),
    )
    pages = [custom(client, page_number=n, page_size=3) for n in (1, 2, 3, 4)]
    assert [[e.name for e in page] for page in pages] == [["e6", "e5", "e4"], ["e3", "e2", "e1"], ["e0"], []]
    assert len(custom(client)) == 7
    invalid(lambda: custom(client, page_size=101), "PageSize")
    invalid(lambda: custom(client, page_number=0), "PageNumber")


def test_put_custom_event_names_the_faulty_entry(client: RecordingCms) -> None:
    invalid(
        lambda: put(client, Info(event_name="ok", content="x"), Info(event_name="", content="y")),
        "EventInfo.2.EventName",
    )
    invalid(lambda: put(client, Info(event_name="x" * 129, content="y")), "EventInfo.1.EventName", "128")
    invalid(lambda: put(client, Info(event_name="no-content")), "EventInfo.1.Content")
    invalid(
        lambda: put(client, Info(event_name="t", content="c", time="teatime")), "EventInfo.1.Time", "teatime"
    )
    invalid(lambda: put(client, *(Info(event_name="n", content="c") for _ in range(101))), "EventInfo", "100")
    assert custom(client) == [], "a refused batch stores nothing"


def test_put_custom_event_without_entries_is_a_missing_parameter(client: RecordingCms) -> None:
    error = fails(lambda: put(client))
    assert (error.status_code, error.code) == (400, "MissingParameter")
    assert "EventInfo.1.EventName" in error.message


def test_custom_events_follow_the_retention_period(server: RunningServer, client: RecordingCms) -> None:
    put(client, Info(event_name="old", content="kept 90 days"))
    server.advance(89 * DAY)
    assert [e.name for e in custom(client)] == ["old"]
    server.advance(2 * DAY)
    assert custom(client, start_time="0") == []
