"""SQLFilter under Hypothesis: any text either compiles or fails with a column inside it, and evaluating
any valid filter against any JSON-like content gives a bool without raising.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from vigil.alerting.sqlfilter import MAX_LENGTH, SqlFilterError, parse

PIECES = [
    "a", "b.c", "`odd key`", '"x y"', "and", "OR", "not", "in", "like", "is", "null", "contains",
    "true", "false", "(", ")", ",", ".", "=", "!=", "<>", "<", "<=", ">", ">=", "!", "-", "1", "-2.5",
    "1.", "'s'", "'it''s'", "'", "`", '"', "''", "%", "\n", "é", "\x00",
]  # fmt: skip

NAMES = ["a", "b", "tags", "odd key", "x y"]
FIELDS = ["a", "b", "tags", "a.b", "b.a.a", "`odd key`", '"x y"', "`odd key`.a"]


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


decimals = st.builds(lambda whole, frac: f"{whole}.{frac}", st.integers(-(10**6), 10**6), st.integers(0, 999))
literals = st.one_of(
    st.text(max_size=8).map(sql_string),
    st.integers(-(10**12), 10**12).map(str),
    decimals,
    st.sampled_from(["true", "FALSE", "null"]),
)
fields = st.sampled_from(FIELDS)
predicates = st.one_of(
    st.builds(
        lambda f, op, v: f"{f} {op} {v}",
        fields,
        st.sampled_from(["=", "!=", "<>", "<", "<=", ">", ">="]),
        literals,
    ),
    st.builds(
        lambda f, neg, vs: f"{f} {neg}in ({', '.join(vs)})",
        fields,
        st.sampled_from(["", "not "]),
        st.lists(literals, min_size=1, max_size=4),
    ),
    st.builds(
        lambda f, neg, op, s: f"{f} {neg}{op} {sql_string(s)}",
        fields,
        st.sampled_from(["", "not "]),
        st.sampled_from(["like", "contains"]),
        st.text(alphabet="ab%_'", max_size=6),
    ),
    st.builds(lambda f, neg: f"{f} is {neg}null", fields, st.sampled_from(["", "not "])),
)


def combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Binary nodes only, so max_leaves bounds the nesting well below the depth limit.
    return st.builds(
        lambda left, op, right, neg: f"{neg}({left}) {op} ({right})",
        children,
        st.sampled_from(["and", "or", "AND", "Or"]),
        children,
        st.sampled_from(["", "not "]),
    )


expressions = st.recursive(predicates, combine, max_leaves=12)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=6),
        st.sampled_from(["75", "-2.5", "true", "TRUE", "1" * 5000]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(NAMES), children, max_size=3)
    ),
    max_leaves=10,
)
contents = st.dictionaries(st.sampled_from(NAMES), json_values, max_size=5)


def check_parse(text: str) -> None:
    try:
        compiled = parse(text)
    except SqlFilterError as error:
        assert 1 <= error.column <= len(text) + 1
        assert error.message.startswith(f"SQLFilter: column {error.column}: ")
    else:
        assert isinstance(compiled.evaluate({"a": 1, "b": {"c": "s"}}), bool)


@given(st.text(max_size=300))
def test_any_text_compiles_or_fails_with_a_column_inside_it(text: str) -> None:
    check_parse(text)


@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([" ", ""]))
def test_any_soup_of_grammar_pieces_compiles_or_fails_with_a_column_inside_it(
    pieces: list[str], separator: str
) -> None:
    check_parse(separator.join(pieces))


@given(st.text(alphabet="( not)a=1", min_size=MAX_LENGTH - 20, max_size=MAX_LENGTH + 20))
def test_text_near_the_limits_compiles_or_fails_with_a_column_inside_it(text: str) -> None:
    check_parse(text)


@given(expressions, contents)
def test_any_valid_filter_evaluates_to_a_bool_without_raising(text: str, content: dict[str, Any]) -> None:
    result = parse(text).evaluate(content)
    assert isinstance(result, bool)
    assert parse(f"not ({text})").evaluate(content) is not result
