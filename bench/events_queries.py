"""DescribeSystemEventAttribute's typical filters, timed through EventCenter.search and through the
real CMS action with the official alibabacloud-cms20190101 SDK, and their query plans.

The three filters of issue 4: product + level + one day, name + one week, and a keyword over the
whole 90 days. Each query draws its values at random (product, level, name, window, resource name).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from events_mix import EventMix

from vigil.clock import DAY_MS
from vigil.events import store
from vigil.events.query import EventFilter, parse_keywords
from vigil.events.service import EventCenter
from vigil.storage.engine import Database

PRODUCT_LEVEL_DAY = "product + level + one day"
NAME_WEEK = "name + one week"
KEYWORD_90_DAYS = "keyword over 90 days"
FILTERS = (PRODUCT_LEVEL_DAY, NAME_WEEK, KEYWORD_90_DAYS)
INDEXED = (PRODUCT_LEVEL_DAY, NAME_WEEK)


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    filter: EventFilter
    params: dict[str, str]
    """The same query as DescribeSystemEventAttribute parameters (the SDK request's fields)."""


def draw_queries(
    kind: str, count: int, rng: random.Random, mix: EventMix, span: tuple[int, int], now_ms: int
) -> list[Query]:
    """``count`` queries of one kind with random values inside the filled span [start, end)."""
    start, end = span
    levels = mix.levels()
    found = []
    for _ in range(count):
        if kind == PRODUCT_LEVEL_DAY:
            product = rng.choice(sorted(levels))
            level = rng.choice(levels[product])
            since = rng.randrange(start, end - DAY_MS)
            f = EventFilter(since, since + DAY_MS, product=product, level=level)
            params = {"product": product, "level": level, **_window(f)}
        elif kind == NAME_WEEK:
            name = rng.choice(mix.names)
            since = rng.randrange(start, end - 7 * DAY_MS)
            f = EventFilter(since, since + 7 * DAY_MS, name=name)
            params = {"name": name, **_window(f)}
        else:  # the default window of the action: the retention period up to now
            word = rng.choice(mix.resources)
            f = EventFilter(now_ms - 90 * DAY_MS, now_ms + 1, keywords=parse_keywords(word))
            params = {"search_keywords": word}
        found.append(Query(kind, f, params))
    return found


def _window(f: EventFilter) -> dict[str, str]:
    return {"start_time": str(f.start_ms), "end_time": str(f.end_ms)}


@dataclass(slots=True)
class Latencies:
    """Milliseconds per query and the number of events each answer carried."""

    ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    ids: list[list[str]] = field(default_factory=list)

    def add(self, ms: float, ids: list[str]) -> None:
        self.ms.append(ms)
        self.rows.append(len(ids))
        self.ids.append(ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "queries": len(self.ms),
            "p50_ms": round(percentile(self.ms, 50), 2),
            "p95_ms": round(percentile(self.ms, 95), 2),
            "max_ms": round(max(self.ms, default=0.0), 2),
            "mean_rows": round(sum(self.rows) / len(self.rows), 1) if self.rows else 0.0,
            "non_empty": sum(1 for n in self.rows if n),
        }


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def time_service(center: EventCenter, account_id: str, queries: Sequence[Query], page_size: int) -> Latencies:
    """Each query through EventCenter.search, as DescribeSystemEventAttribute calls it (page 1)."""
    found = Latencies()
    for query in queries:
        began = time.perf_counter()
        events = center.search(account_id, query.filter, 1, page_size)
        found.add((time.perf_counter() - began) * 1000, [e.event_id for e in events])
    return found


def time_sdk(client: Any, queries: Sequence[Query], page_size: int) -> Latencies:
    """Each query as DescribeSystemEventAttribute through the official CMS SDK (client-side time).

    Raises RuntimeError for an answer that is not a success.
    """
    from alibabacloud_cms20190101 import models as cms

    found = Latencies()
    for query in queries:
        request = cms.DescribeSystemEventAttributeRequest(page_size=page_size, **query.params)
        began = time.perf_counter()
        body = client.describe_system_event_attribute(request).body
        elapsed = (time.perf_counter() - began) * 1000
        if body.success != "true":
            raise RuntimeError(f"DescribeSystemEventAttribute failed: {body.code} {body.message}")
        events = body.system_events.system_event if body.system_events else None
        found.add(elapsed, [e.id for e in events or []])
    return found


def cms_client(port: int, access_key_id: str, secret: str, region: str) -> Any:
    """The unmodified alibabacloud-cms20190101 client pointed at a local server."""
    from alibabacloud_cms20190101.client import Client
    from alibabacloud_tea_openapi.models import Config

    config = Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        region_id=region,
    )
    return Client(config)


# -- query plans -------------------------------------------------------------------------------


class _Capture:
    """A Tx that records the statements a store function sends and runs none of them."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.statements.append((sql, list(params)))
        return 0

    def one(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.execute(sql, params)

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self.execute(sql, params)
        return []

    def on_commit(self, callback: Callable[[], None]) -> None:
        pass


def captured(call: Callable[[_Capture], object]) -> tuple[str, list[Any]]:
    """The first statement ``call`` sends through its Tx: the SQL the store really runs."""
    capture = _Capture()
    call(capture)
    return capture.statements[0]


def page_statement(account_id: str, query: Query, page_size: int) -> tuple[str, list[Any]]:
    return captured(lambda tx: store.page(tx, account_id, query.filter, 0, page_size))


def query_plan(db: Database, sql: str, params: Sequence[Any], *, analyze: bool = True) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN (indented), or PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) when ``analyze``."""
    with db.transaction(write=False) as tx:
        if db.dialect == "sqlite":
            rows = tx.all("EXPLAIN QUERY PLAN " + sql, params)
            depth: dict[int, int] = {0: -1}
            lines = []
            for row in rows:
                depth[row["id"]] = depth.get(row["parent"], -1) + 1
                lines.append("  " * depth[row["id"]] + str(row["detail"]))
            return lines
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        return [str(row["QUERY PLAN"]) for row in tx.all(prefix + sql, params)]
