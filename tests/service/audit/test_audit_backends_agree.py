"""The same query finds the same records on SQLite and PostgreSQL: random valid queries over the
seeded trail (and an instance's log store), each run on both engines, must agree record for record
and count for count."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PostgresDatabases
from tests.service.audit.audit_seeds import ACCOUNT, INSTANCE, KEY, WINDOW, Seeded, open_seeded
from vigil.audit import store
from vigil.audit.query import compile_query
from vigil.storage.engine import PostgresDatabase, SqliteDatabase

TERMS = [
    "kms", "KMS", "bob", "secretname", '"prod/SecretName"', f'"{KEY}"', "key-szz63dc8c429ermur*", "Decr*", "ab*",
    "生产环境", '"The key is"', "rejected", "disabled", '"100%"', "10.0.3.17", "hangzhou", "nothing", "x*",
]  # fmt: skip
MATCHES = [
    ("event.serviceName", ["Kms", "kms", "Cms", "Csms", "Actiontrail", "*"]),
    ("event.eventName", ["Encrypt", "Gen*", "GetSecretValue", "De*", "encrypt"]),
    ("event.errorCode", ["*", '"Rejected.Disabled"', "Rejected.*", '""']),
    ("event.eventRW", ["Read", "write"]),
    ("event.userIdentity.userName", ["bob", "alice", '""', "a*"]),
    ("event.requestParameters.KeyId", [KEY, "key-*", "*", '""']),
    ("event.requestParameters.SecretName", ["SecretName", "Secret*", "prod/*"]),
    ("event.requestParameters.PageNumber", ["1", "*"]),
    ("event.responseElements.Truncated", ["true", "false"]),
    ("event.responseElements.Ratio", ["0.5"]),
    ("event.responseElements.KeyMetadata.KeyState", ["Enabled", "*"]),
    ("event.requestParameters.Tags", ["*", "env"]),
    ("event.requestParameters.Query", ['"100%*"', '"100_*"']),
]
COMPARISONS = [
    ("event.responseElements.TotalCount", ["0", "11.5", "12", "-3"]),
    ("event.requestParameters.NumberOfBytes", ["16", "32", "32.5"]),
    ("event.requestParameters.PageSize", ["20", "19.99"]),
    ("event.requestParameters.SecretName", ["0"]),
    ("event.eventTime", ['"2026-01-10T00:05:00Z"', '"2026-01-10"', '"2026-01-10T00:05"', "1768003500000"]),
]
GROUPS = [
    "event.serviceName",
    "event.eventName",
    "event.requestParameters.KeyId",
    "event.responseElements.Ratio",
]

matches = st.sampled_from(MATCHES).flatmap(lambda f: st.sampled_from(f[1]).map(lambda v: f"{f[0]}: {v}"))
comparisons = st.builds(
    lambda f, op: f"{f[0]} {op} {f[1]}",
    st.sampled_from(COMPARISONS).flatmap(lambda f: st.sampled_from(f[1]).map(lambda v: (f[0], v))),
    st.sampled_from(["<", "<=", ">", ">="]),
)
leaves = st.one_of(st.sampled_from(TERMS), matches, comparisons, st.just("*"))


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda left, op, right, neg: f"{neg}({left}) {op} ({right})",
        children,
        st.sampled_from(["AND", "OR", "and", "Or"]),
        children,
        st.sampled_from(["", "NOT "]),
    )


queries = st.recursive(leaves, combine, max_leaves=8)


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, pg_databases: PostgresDatabases
) -> Iterator[tuple[Seeded, Seeded]]:
    """The seeded trail on SQLite and on PostgreSQL (skipped when PostgreSQL is unreachable)."""
    postgresql = PostgresDatabase(pg_databases.create())
    pair = (
        open_seeded(SqliteDatabase(tmp_path_factory.mktemp("agree") / "audit.db")),
        open_seeded(postgresql),
    )
    yield pair
    for seeded in pair:
        seeded.db.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries)
def test_any_query_finds_the_same_records_on_both_engines(both: tuple[Seeded, Seeded], text: str) -> None:
    sqlite, postgresql = both
    assert sqlite.search(text) == postgresql.search(text), text
    assert sqlite.search(text, instance_id=INSTANCE) == postgresql.search(text, instance_id=INSTANCE), text


def counts(seeded: Seeded, text: str) -> list[tuple[tuple[str | None, ...], int]]:
    with seeded.db.transaction(write=False) as tx:
        rows = store.stats(tx, ACCOUNT, compile_query(text, seeded.db.dialect), *WINDOW)
    return [(row.values, row.count) for row in rows]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(queries, st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))
def test_any_stats_stage_counts_the_same_on_both_engines(
    both: tuple[Seeded, Seeded], text: str, by: list[str]
) -> None:
    stage = f"{text} | stats count()" + (f" by {', '.join(by)}" if by else "")
    sqlite, postgresql = both
    assert counts(sqlite, stage) == counts(postgresql, stage), stage
