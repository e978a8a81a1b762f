"""SQLFilter: what a condition matches in an event's content, and where and how a bad one is reported."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from vigil.alerting.sqlfilter import MAX_DEPTH, MAX_LENGTH, SqlFilterError, parse
from vigil.errors import InvalidArgument

CONTENT: dict[str, Any] = {
    "secretName": "wire-test-secret",
    "rotationStatus": "Enabled",
    "score": 75,
    "ratio": 0.5,
    "scoreText": "75",
    "version": "v10",
    "enabled": True,
    "flagText": "TRUE",
    "tags": ["prod", "eu-west"],
    "levels": [1, 5, 9],
    "riskData": {"threatType": "BruteForce", "level": 3, "inner": {"deep": "yes"}},
    "odd key": "odd",
    "dotted.key": "flat",
    "quote": "it's",
    "pct": "100%",
    "empty": None,
    "blank": "",
}

MATCHES = [
    ("secretName = 'wire-test-secret'", True, "seed-secret-name"),
    ("secretName = 'other'", False, "seed-secret-name-other"),
    ("secretName = 'x' and rotationStatus = 'Enabled'", False, "seed-and-first-false"),
    ("secretName = 'wire-test-secret' and rotationStatus = 'Enabled'", True, "and-both-true"),
    ("secretName = 'x' or rotationStatus = 'Enabled'", True, "or-one-true"),
    ("SECRETNAME = 'wire-test-secret'", False, "field-names-are-case-sensitive"),
    ("secretName = 'WIRE-TEST-SECRET'", False, "strings-are-case-sensitive"),
    ("score = 75", True, "number-equal"),
    ("score <> 75", False, "number-not-equal-angle"),
    ("score != 74", True, "number-not-equal-bang"),
    ("score > 70 AND score <= 75", True, "number-range"),
    ("score >= 75.5", False, "decimal-literal"),
    ("ratio < 1", True, "float-against-int"),
    ("ratio = 0.5", True, "float-equal"),
    ("score > -1", True, "negative-literal"),
    ("scoreText = 75", True, "numeric-string-against-number"),
    ("scoreText > 8", True, "numeric-string-compares-numerically"),
    ("scoreText > '8'", False, "string-against-string-compares-as-text"),
    ("score = '75.0'", True, "number-against-numeric-string-literal"),
    ("version > 'v1'", True, "text-ordering"),
    ("version = 10", False, "non-numeric-string-against-number"),
    ("enabled = true", True, "bool-true"),
    ("enabled = false", False, "bool-false"),
    ("enabled != false", True, "bool-not-equal"),
    ("enabled = 1", False, "bool-is-not-a-number"),
    ("flagText = true", True, "bool-against-true-string"),
    ("enabled = 'true'", True, "true-string-against-bool"),
    ("tags = 'prod'", True, "list-any-element-equals"),
    ("tags = 'staging'", False, "list-no-element-equals"),
    ("tags != 'staging'", True, "list-not-equal-means-no-element-equals"),
    ("tags != 'prod'", False, "list-not-equal-with-equal-element"),
    ("levels > 8", True, "list-any-element-greater"),
    ("levels > 9", False, "list-no-element-greater"),
    ("riskData.threatType = 'BruteForce'", True, "dotted-path"),
    ("riskData.inner.deep = 'yes'", True, "dotted-path-three-deep"),
    ("riskData.level in (1, 2, 3)", True, "nested-number-in-list"),
    ("riskData.missing is null", True, "missing-nested-is-null"),
    ("secretName.inner is null", True, "path-through-a-string-is-null"),
    ("`odd key` = 'odd'", True, "backquoted-field"),
    ("\"odd key\" = 'odd'", True, "double-quoted-field"),
    ("`dotted.key` = 'flat'", True, "quoted-field-keeps-its-dot"),
    ("dotted.key = 'flat'", False, "bare-dots-are-a-path"),
    ("quote = 'it''s'", True, "doubled-quote-escape"),
    ("rotationStatus in ('Enabled', 'Disabled')", True, "in"),
    ("rotationStatus IN ('Disabled')", False, "in-not-listed"),
    ("rotationStatus not in ('Disabled', 3)", True, "not-in"),
    ("tags in ('eu-west', 'us-east')", True, "list-in"),
    ("missing not in ('a')", False, "not-in-on-missing-is-false"),
    ("secretName like 'wire-%'", True, "like-prefix"),
    ("secretName like '%secret'", True, "like-suffix"),
    ("secretName like 'wire_test_secret'", True, "like-underscore-one-char"),
    ("secretName like 'wire_secret'", False, "like-underscore-not-a-run"),
    ("secretName like 'wire'", False, "like-is-whole-value"),
    ("secretName like 'wire.test.secret'", False, "like-dot-is-literal"),
    ("secretName like '%%%'", True, "like-only-percents"),
    ("secretName not like 'prod-%'", True, "not-like"),
    ("score like '7%'", True, "like-on-a-number"),
    ("pct like '100%'", True, "like-percent-matches-itself"),
    ("blank like ''", True, "like-empty"),
    ("tags like 'eu-%'", True, "list-like"),
    ("secretName contains 'test'", True, "contains"),
    ("secretName contains 'TEST'", False, "contains-case-sensitive"),
    ("secretName not contains 'prod'", True, "not-contains"),
    ("tags contains 'west'", True, "list-contains"),
    ("missing contains ''", False, "contains-on-missing-is-false"),
    ("missing is null", True, "missing-is-null"),
    ("empty is null", True, "json-null-is-null"),
    ("secretName is not null", True, "is-not-null"),
    ("blank is null", False, "empty-string-is-not-null"),
    ("missing = 'x'", False, "missing-equal-is-false"),
    ("missing != 'x'", False, "missing-not-equal-is-false"),
    ("not missing = 'x'", True, "not-negates-false"),
    ("secretName = null", False, "compare-with-null-literal-is-false"),
    ("secretName != null", False, "not-equal-null-literal-is-false"),
    ("riskData = 'x'", False, "object-compares-with-nothing"),
    ("not secretName = 'x' and score = 75", True, "not-binds-tighter-than-and"),
    ("score = 1 and score = 2 or score = 75", True, "and-binds-tighter-than-or"),
    ("score = 1 and (score = 2 or score = 75)", False, "parentheses-group"),
    ("not (score = 1 or score = 2)", True, "not-of-group"),
    ("not not score = 75", True, "double-not"),
    ("secretName='wire-test-secret'and(score>=75)", True, "no-spaces-needed"),
    ("\tsecretName\n=\r\n'wire-test-secret' ", True, "any-whitespace"),
]


@pytest.mark.parametrize(("text", "expected"), [c[:2] for c in MATCHES], ids=[c[2] for c in MATCHES])
def test_filter_matches_content(text: str, expected: bool) -> None:
    assert parse(text).evaluate(CONTENT) is expected


ERRORS = [
    ("", 1, "expected a field name, '(' or not, found end of input", "empty"),
    ("   ", 4, "found end of input", "only-spaces"),
    ("secretName", 11, "expected an operator", "field-alone"),
    ("secretName = ", 14, "expected a value (a quoted string, number, true, false or null)", "no-value"),
    ("secretName = 'x' and", 21, "expected a field name", "dangling-and"),
    ("secretName = 'x' rotationStatus", 18, "expected and, or or end of input", "missing-and"),
    ("(a = 1", 7, "expected and, or or ')', found end of input", "unclosed-paren"),
    ("a = 1)", 6, "expected and, or or end of input, found ')'", "extra-paren"),
    ("a = 'abc", 5, "expected a closing ' for the string", "unterminated-string"),
    ("`abc = 1", 1, "expected a closing ` for the field name", "unterminated-backquote"),
    ('a = "abc"', 5, "(strings take single quotes)", "double-quoted-value"),
    ("`` = 1", 1, "expected a field name", "empty-quoted-field"),
    ("a = 12ab", 5, "expected a number, found '12a'", "number-runs-into-word"),
    ("a = 1.", 5, "expected a number", "number-trailing-dot"),
    ("a = 1.2.3", 5, "expected a number", "number-two-dots"),
    ("a = -x", 5, "expected a number, found '-x'", "minus-without-digits"),
    ("a == 1", 4, "expected a value", "double-equals"),
    ("a ! 1", 3, "found '!'", "lone-bang"),
    ("a = 1 $", 7, "found '$'", "unknown-character"),
    ("a in 1", 6, "expected '(' and a list of values", "in-without-list"),
    ("a in ()", 7, "expected a value", "in-empty-list"),
    ("a in (1 2)", 9, "expected ',' or ')'", "in-missing-comma"),
    ("a in (1,)", 9, "expected a value", "in-trailing-comma"),
    ("a like 1", 8, "expected a quoted string, found '1'", "like-number"),
    ("a contains", 11, "expected a quoted string", "contains-nothing"),
    ("a is 1", 6, "expected null or not null", "is-not-null-literal"),
    ("a not = 1", 7, "expected in, like or contains", "not-before-equals"),
    ("a.", 3, "expected a field name after '.'", "dangling-dot"),
    ("a.1 = 1", 3, "expected a field name after '.'", "dot-number"),
    ("and = 1", 1, "expected a field name", "keyword-as-field"),
    ("a = b", 5, "expected a value", "field-as-value"),
    ("'x' = a", 1, "expected a field name", "literal-on-the-left"),
    ("not", 4, "found end of input", "not-alone"),
    ("a = 1e5", 5, "expected a number", "exponent"),
    ("a = 1" + "0" * 400 + ".5", 5, "expected a number within range", "decimal-out-of-range"),
]


@pytest.mark.parametrize(("text", "column", "fragment"), [c[:3] for c in ERRORS], ids=[c[3] for c in ERRORS])
def test_bad_filter_is_reported_at_its_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(SqlFilterError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.message.startswith(f"SQLFilter: column {column}: ")
    assert fragment in caught.value.message


def test_error_message_names_column_expectation_and_what_was_found() -> None:
    with pytest.raises(SqlFilterError) as caught:
        parse("secretName = ")
    assert str(caught.value) == (
        "SQLFilter: column 14: expected a value (a quoted string, number, true, false or null), "
        "found end of input"
    )


def test_error_is_an_invalid_argument_with_its_own_code() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse("a =")
    assert isinstance(caught.value, SqlFilterError)
    assert caught.value.code == "InvalidParameter.SQLFilter"


def test_error_quotes_at_most_forty_characters_of_the_text() -> None:
    secret_looking = "s3cr3t-" + "x" * 200
    for text in (f"a = 1 {secret_looking}", f"a = '{secret_looking}", f"a = `{secret_looking}` b"):
        with pytest.raises(SqlFilterError) as caught:
            parse(text)
        assert "x" * 41 not in caught.value.message
        assert len(caught.value.message) < 160


def test_text_at_the_length_limit_parses_and_one_more_character_does_not() -> None:
    text = "a = '" + "x" * (MAX_LENGTH - 6) + "'"
    assert len(text) == MAX_LENGTH
    assert parse(text).evaluate({"a": "x" * (MAX_LENGTH - 6)})
    with pytest.raises(SqlFilterError) as caught:
        parse(text + " ")
    assert caught.value.column == MAX_LENGTH + 1
    assert "at most 2048 characters" in caught.value.message


def test_nesting_to_the_depth_limit_parses_and_one_more_level_does_not() -> None:
    deepest = "(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH
    assert parse(deepest).evaluate({"a": 1})
    with pytest.raises(SqlFilterError) as caught:
        parse("(" + deepest + ")")
    assert caught.value.column == MAX_DEPTH + 1


def test_not_counts_towards_the_depth_limit() -> None:
    assert parse("not " * MAX_DEPTH + "a = 1").evaluate({"a": 2}) is (MAX_DEPTH % 2 == 1)
    with pytest.raises(SqlFilterError) as caught:
        parse("not " * (MAX_DEPTH + 1) + "a = 1")
    assert caught.value.column == 4 * MAX_DEPTH + 1


def test_keywords_are_case_insensitive() -> None:
    lower = parse("not a is null and b in (1) or c like 'x' or d contains 'y' or e = true")
    upper = parse("NOT a IS NULL AND b IN (1) OR c LIKE 'x' OR d CONTAINS 'y' OR e = TRUE")
    assert lower == upper


def test_compiled_filter_is_immutable_and_hashable() -> None:
    compiled = parse("a = 1 and (b like 'x%' or c in (1, 'two'))")
    assert compiled == parse("a = 1 AND (b LIKE 'x%' OR c IN (1, 'two'))")
    assert hash(compiled) == hash(parse("a = 1 and (b like 'x%' or c in (1, 'two'))"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.operands = ()  # type: ignore[misc, union-attr]


def test_like_stays_fast_on_patterns_that_make_regexes_backtrack() -> None:
    compiled = parse("a like '" + "%a" * 200 + "%b'")
    assert compiled.evaluate({"a": "a" * 1000}) is False
