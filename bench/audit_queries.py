"""The audit-query benchmark's queries: LookupEvents attributes and advanced queries (the product
document's five seed statements with real ids, wildcards, OR, a JSON field, stats), drawn with
random values and windows, timed through vigil.audit.store, and their query plans.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit_workload import ACTIONS, RESOURCE_TYPES, AuditMix
from events_queries import percentile, query_plan

from vigil.audit import store
from vigil.audit.model import Direction, LookupKey
from vigil.audit.query import compile_query
from vigil.clock import DAY_MS
from vigil.storage.engine import Database, Tx

WINDOW_DAYS = 7
"""LookupEvents' default window, and the advanced queries' here."""
PAGE = 50


Run = Callable[[Tx, str, str, int, int], int]
"""Runs one query: (transaction, dialect, account, start_ms, end_ms) → records (or stats rows) returned."""
Draw = Callable[[random.Random, AuditMix, Sequence[str]], tuple[Run, str]]
"""Draws one query's values: (rng, mix, stored event ids) → the query, and how it reads."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of query: how to draw one, and whether p95 < 200 ms is asked of it."""

    label: str
    group: str  # "LookupEvents" or "advanced query"
    draw: Draw
    selective: bool = True
    days: int = WINDOW_DAYS


def _lookup(
    key: LookupKey, values: Callable[[random.Random, AuditMix, Sequence[str]], str], **options: Any
) -> Draw:
    def draw(rng: random.Random, mix: AuditMix, ids: Sequence[str]) -> tuple[Run, str]:
        attributes = [(key.value, values(rng, mix, ids))]

        def run(tx: Tx, dialect: str, account: str, start: int, end: int) -> int:
            return _count(store.lookup(tx, account, attributes, start, end, limit=PAGE, **options))

        return run, f"{key.value}={attributes[0][1]}"

    return draw


def _no_attribute(rng: random.Random, mix: AuditMix, ids: Sequence[str]) -> tuple[Run, str]:
    def run(tx: Tx, dialect: str, account: str, start: int, end: int) -> int:
        return _count(store.lookup(tx, account, [], start, end, limit=PAGE))

    return run, "(none)"


def _second_page(rng: random.Random, mix: AuditMix, ids: Sequence[str]) -> tuple[Run, str]:
    attributes = [(LookupKey.EVENT_NAME.value, rng.choice(ACTIONS).name)]

    def run(tx: Tx, dialect: str, account: str, start: int, end: int) -> int:
        first = store.lookup(tx, account, attributes, start, end, limit=PAGE)
        if first.next is None:
            return 0
        return _count(store.lookup(tx, account, attributes, start, end, limit=PAGE, after=first.next))

    return run, f"EventName={attributes[0][1]}, pages 1 and 2"


def _advanced(template: Callable[[random.Random, AuditMix], str]) -> Draw:
    def draw(rng: random.Random, mix: AuditMix, ids: Sequence[str]) -> tuple[Run, str]:
        text = template(rng, mix)

        def run(tx: Tx, dialect: str, account: str, start: int, end: int) -> int:
            query = compile_query(text, dialect)
            if query.stats is not None:
                return len(store.stats(tx, account, query, start, end))
            return _count(store.search(tx, account, query, start, end, limit=PAGE))

        return run, text

    return draw


def _count(page: store.Page) -> int:
    return len(page.records)


def _masked(key: str) -> str:
    return key[:-4] + "****"


SEED_1 = '* AND (event.serviceName: "Kms") AND (event.eventRW: "Read") AND "{key}"'
SEED_ERROR = '* AND (event.serviceName: "Kms") AND (event.errorCode:"{code}")'
SEED_5 = '* AND (event.serviceName: "Kms") AND (event.eventName: "GetSecretValue") AND "{secret}"'

KINDS = (
    Kind("no attribute", "LookupEvents", _no_attribute),
    Kind("ServiceName", "LookupEvents", _lookup(LookupKey.SERVICE_NAME, lambda r, m, i: r.choice(
        ["Kms", "Cms", "Actiontrail", "Csms", "Vigil"]))),
    Kind("EventName", "LookupEvents", _lookup(LookupKey.EVENT_NAME, lambda r, m, i: r.choice(ACTIONS).name)),
    Kind("User", "LookupEvents", _lookup(LookupKey.USER, lambda r, m, i: r.choice(m.users).name)),
    Kind("EventId", "LookupEvents", _lookup(LookupKey.EVENT_ID, lambda r, m, i: r.choice(i))),
    Kind("ResourceType", "LookupEvents", _lookup(LookupKey.RESOURCE_TYPE, lambda r, m, i: r.choice(
        [t for t in RESOURCE_TYPES.values() if t]))),
    Kind("ResourceName", "LookupEvents", _lookup(LookupKey.RESOURCE_NAME, lambda r, m, i: r.choice(
        m.keys + m.secrets))),
    Kind("EventRW", "LookupEvents", _lookup(LookupKey.EVENT_RW, lambda r, m, i: r.choice(["Read", "Write"]))),
    Kind("EventAccessKeyId", "LookupEvents", _lookup(LookupKey.EVENT_ACCESS_KEY_ID, lambda r, m, i: r.choice(
        [k for u in m.users for k in u.access_keys]))),
    Kind("EventName, oldest first", "LookupEvents", _lookup(
        LookupKey.EVENT_NAME, lambda r, m, i: r.choice(ACTIONS).name, direction=Direction.FORWARD)),
    Kind("EventName, second page", "LookupEvents", _second_page),
    Kind("seed 1: Kms + Read + masked key id", "advanced query", _advanced(
        lambda r, m: SEED_1.format(key=_masked(r.choice(m.keys))))),
    Kind("seed 2: Kms + Rejected.Disabled", "advanced query", _advanced(
        lambda r, m: SEED_ERROR.format(code="Rejected.Disabled"))),
    Kind("seed 3: Kms + Rejected.PendingDeletion", "advanced query", _advanced(
        lambda r, m: SEED_ERROR.format(code="Rejected.PendingDeletion"))),
    Kind("seed 4: Kms + Rejected.Unavailable", "advanced query", _advanced(
        lambda r, m: SEED_ERROR.format(code="Rejected.Unavailable"))),
    Kind("seed 5: Kms + GetSecretValue + secret name", "advanced query", _advanced(
        lambda r, m: SEED_5.format(secret=r.choice(m.secrets)))),
    Kind("bare key id", "advanced query", _advanced(lambda r, m: f'"{r.choice(m.keys)}"')),
    Kind("field prefix: event.eventName: Gen*", "advanced query", _advanced(lambda r, m: "event.eventName: Gen*")),
    Kind("OR of two error codes", "advanced query", _advanced(
        lambda r, m: 'event.errorCode: "Rejected.Disabled" OR event.errorCode: "Rejected.PendingDeletion"')),
    Kind("OR of two key ids", "advanced query", _advanced(
        lambda r, m: f'"{r.choice(m.keys)}" OR "{r.choice(m.keys)}"')),
    Kind("NOT: Kms writes that are not key writes", "advanced query", _advanced(
        lambda r, m: 'event.serviceName: Kms AND event.eventRW: Write AND NOT event.resourceType: "ACS::KMS::Key"')),
    Kind("JSON field with an indexed one", "advanced query", _advanced(
        lambda r, m: 'event.eventName: "GenerateDataKey" AND event.requestParameters.NumberOfBytes >= 32')),
    Kind("stats: errors by code", "advanced query", _advanced(
        lambda r, m: "event.errorCode: * | stats count() by event.errorCode")),
    Kind("stats: Kms calls by event name", "advanced query", _advanced(
        lambda r, m: 'event.serviceName: "Kms" | stats count() by event.eventName'), selective=False),
    Kind("bare prefix, common: Decr*", "advanced query", _advanced(lambda r, m: "Decr*"), selective=False),
    Kind("bare word, common: kms", "advanced query", _advanced(lambda r, m: "kms"), selective=False),
    Kind("seed 1 over 90 days", "advanced query", _advanced(
        lambda r, m: SEED_1.format(key=_masked(r.choice(m.keys)))), days=90),
    Kind("seed 2 over 90 days", "advanced query", _advanced(
        lambda r, m: SEED_ERROR.format(code="Rejected.Disabled")), days=90),
    Kind("ResourceName over 90 days", "LookupEvents", _lookup(LookupKey.RESOURCE_NAME, lambda r, m, i: r.choice(
        m.keys + m.secrets)), days=90),
)  # fmt: skip


@dataclass(slots=True)
class Timed:
    """One drawn query: what runs, over which window; its time and row count once run."""

    run: Run
    text: str
    start_ms: int
    end_ms: int
    ms: float = 0.0
    rows: int = 0


@dataclass(slots=True)
class KindResult:
    kind: Kind
    timed: list[Timed] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        ms = [t.ms for t in self.timed]
        rows = [t.rows for t in self.timed]
        return {
            "group": self.kind.group,
            "window_days": self.kind.days,
            "selective": self.kind.selective,
            "queries": len(ms),
            "p50_ms": round(percentile(ms, 50), 2),
            "p95_ms": round(percentile(ms, 95), 2),
            "max_ms": round(max(ms, default=0.0), 2),
            "mean_rows": round(sum(rows) / len(rows), 1) if rows else 0.0,
            "example": self.timed[0].text if self.timed else None,
        }


def draw(
    kind: Kind, count: int, rng: random.Random, mix: AuditMix, ids: Sequence[str], span: tuple[int, int]
) -> list[Timed]:
    """``count`` queries of ``kind``, each over a random window of its length inside ``span``."""
    start, end = span
    length = kind.days * DAY_MS
    found = []
    for _ in range(count):
        since = start if length >= end - start else rng.randrange(start, end - length)
        found.append(Timed(*kind.draw(rng, mix, ids), since, since + length))
    return found


def time_queries(db: Database, account_id: str, queries: Sequence[Timed]) -> None:
    """Run each query in a read transaction of its own, recording its wall time and rows."""
    for query in queries:
        began = time.perf_counter()
        with db.transaction(write=False) as tx:
            query.rows = query.run(tx, db.dialect, account_id, query.start_ms, query.end_ms)
        query.ms = (time.perf_counter() - began) * 1000


def plan(db: Database, account_id: str, query: Timed) -> dict[str, Any]:
    """The plan of the first SELECT ``query`` sends."""
    capture = _Capture()
    query.run(capture, db.dialect, account_id, query.start_ms, query.end_ms)  # type: ignore[arg-type]
    sql, params = next(s for s in capture.statements if s[0].startswith("SELECT"))
    return {"sql": sql, "params": [str(p) for p in params], "plan": query_plan(db, sql, params)}


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
