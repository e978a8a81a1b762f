"""What the audit query compiles to: values only ever as bound parameters, LIKE and GLOB patterns
escaped, and the conditions that let each engine use its indexes."""

from __future__ import annotations

import pytest

from vigil.audit.query import compile_query

DIALECTS = ["sqlite", "postgresql"]
HOSTILE = [
    "'; DROP TABLE audit_records; --",
    'Robert"); DELETE FROM audit_records WHERE ("1"="1',
    "100%_of\\it",
    "x' OR '1'='1",
    "$1 ?",
]


def quoted(value: str, wildcard: str = "") -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + wildcard + '"'


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "template",
    ["event.eventName: {v}", "event.requestParameters.KeyId: {v}", "{v}", "event.userAgent: {p}", "NOT {v}"],
    ids=["column", "json", "term", "prefix", "not-term"],
)
def test_values_never_reach_the_sql_text(dialect: str, value: str, template: str) -> None:
    compiled = compile_query(template.format(v=quoted(value), p=quoted(value, "*")), dialect)
    for fragment in ("DROP", "DELETE", "1'='1", "100%", "$1"):
        assert fragment not in compiled.where
    assert compiled.where.count("?") == len(compiled.params)


@pytest.mark.parametrize(
    ("dialect", "pattern"),
    [("sqlite", "100%\\_[*]x[?][[]*"), ("postgresql", "100\\%\\\\\\_*x?[%")],
)
def test_a_prefix_pattern_has_every_wildcard_of_the_engine_escaped(dialect: str, pattern: str) -> None:
    compiled = compile_query('event.eventName: "100%\\\\_\\*x?[*"', dialect)
    assert compiled.params == (pattern,)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_error_code_condition_repeats_the_partial_index_condition(dialect: str) -> None:
    compiled = compile_query('event.errorCode: "Rejected.Disabled"', dialect)
    assert compiled.where == "(error_code = ? AND error_code <> '')"
    assert compile_query("event.errorCode: *", dialect).where == "(error_code > '' AND error_code <> '')"
    assert compile_query('event.errorCode: ""', dialect).where == "error_code = ?"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_matching_everything_leaves_no_condition(dialect: str) -> None:
    assert compile_query("* AND *", dialect).where == "1 = 1"
    assert compile_query("* OR a", dialect).where == "1 = 1"
    assert compile_query("NOT *", dialect).where == "1 = 0"


@pytest.mark.parametrize(
    ("dialect", "lookup"),
    [
        ("sqlite", '"key" AND "szz63dc8c429ermur" *'),
        ("postgresql", "'key' & 'szz63dc8c429ermur':*"),
    ],
)
def test_a_term_is_looked_up_in_the_text_index_then_checked_as_a_phrase(dialect: str, lookup: str) -> None:
    compiled = compile_query('"key-szz63dc8c429ermur****"', dialect)
    assert compiled.params == (lookup, "% key szz63dc8c429ermur%")


@pytest.mark.parametrize(
    ("dialect", "lookup"), [("sqlite", '"生产环境" AND "主密钥"'), ("postgresql", "'生产环境' & '主密钥'")]
)
def test_words_in_any_script_are_looked_up_in_the_text_index(dialect: str, lookup: str) -> None:
    assert compile_query('"生产环境 主密钥"', dialect).params[0] == lookup


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_short_wildcard_word_is_checked_by_like_alone(dialect: str) -> None:
    assert compile_query("ab*", dialect).where == "search_text LIKE ? ESCAPE '\\'"
    assert compile_query("key-ab*", dialect).params[0] in ('"key"', "'key'")
