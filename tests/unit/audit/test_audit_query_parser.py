"""The audit query language: what each construct parses to, and where and how a bad query is reported."""

from __future__ import annotations

import pytest

from vigil.audit.query import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    And,
    Compare,
    CompareOp,
    Equals,
    Field,
    FieldKind,
    MatchAll,
    Not,
    Or,
    Prefix,
    Present,
    QueryError,
    Statement,
    Stats,
    Term,
    TimeRange,
    parse,
)
from vigil.errors import InvalidArgument

SERVICE = Field("event.serviceName", FieldKind.TEXT, column="service_name")
RW = Field("event.eventRW", FieldKind.TEXT, column="event_rw")
NAME = Field("event.eventName", FieldKind.TEXT, column="event_name")
ERROR = Field("event.errorCode", FieldKind.TEXT, column="error_code")
USER = Field("event.userIdentity.userName", FieldKind.TEXT, column="user_name")
KEY_ID = Field("event.requestParameters.KeyId", FieldKind.JSON, path=("requestParameters", "KeyId"))
COUNT = Field("event.responseElements.TotalCount", FieldKind.JSON, path=("responseElements", "TotalCount"))
JAN_1 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY, SECOND = 86_400_000, 1_000

KMS = Equals(SERVICE, "Kms")

SEEDS = [
    (
        '* AND (event.serviceName: "Kms") AND (event.eventRW: "Read") AND "key-szz63dc8c429ermur****"',
        And((MatchAll(), KMS, Equals(RW, "Read"), Term(("key", "szz63dc8c429ermur"), prefix=True))),
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.Disabled")',
        And((MatchAll(), KMS, Equals(ERROR, "Rejected.Disabled"))),
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.PendingDeletion")',
        And((MatchAll(), KMS, Equals(ERROR, "Rejected.PendingDeletion"))),
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.Unavailable")',
        And((MatchAll(), KMS, Equals(ERROR, "Rejected.Unavailable"))),
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.eventName: "GetSecretValue") AND "SecretName"',
        And((MatchAll(), KMS, Equals(NAME, "GetSecretValue"), Term(("secretname",)))),
    ),
]


@pytest.mark.parametrize(("text", "condition"), SEEDS, ids=[f"seed-{i}" for i in range(1, 6)])
def test_the_product_documents_seed_statements_parse(text: str, condition: object) -> None:
    assert parse(text) == Statement(condition)  # type: ignore[arg-type]


GRAMMAR = [
    ("*", MatchAll(), "star"),
    ("", MatchAll(), "empty-is-everything"),
    ("   ", MatchAll(), "blank-is-everything"),
    ("Decrypt", Term(("decrypt",)), "bare-term"),
    ("Decr*", Term(("decr",), prefix=True), "bare-prefix"),
    ('"Rejected.Disabled"', Term(("rejected", "disabled")), "phrase"),
    ('"key-abc*"', Term(("key", "abc"), prefix=True), "phrase-prefix"),
    ('"key-*"', Term(("key",)), "star-after-punctuation-adds-nothing"),
    ('"abc\\*"', Term(("abc",)), "escaped-star-is-no-wildcard"),
    ('"say \\"hi\\""', Term(("say", "hi")), "escaped-quote"),
    ("10.0.3.17", Term(("10", "0", "3", "17")), "ip-address-as-a-term"),
    ("event.serviceName:Kms", KMS, "field-without-spaces"),
    ("event.serviceName : Kms", KMS, "field-with-spaces"),
    ("event.serviceName: kms", KMS, "enumerated-value-any-case"),
    ("event.eventRW: write", Equals(RW, "Write"), "event-rw-any-case"),
    ("event.eventName: encrypt", Equals(NAME, "encrypt"), "other-values-keep-their-case"),
    ("event.eventName: Gen*", Prefix(NAME, "Gen"), "field-prefix"),
    ('event.eventName: "Gen*"', Prefix(NAME, "Gen"), "quoted-field-prefix"),
    ("event.errorCode: *", Present(ERROR), "field-present"),
    ('event.errorCode: ""', Equals(ERROR, ""), "field-empty"),
    ("event.userIdentity.userName: alice", Equals(USER, "alice"), "nested-column"),
    ("event.requestParameters.KeyId: key-abc", Equals(KEY_ID, "key-abc"), "json-field"),
    ("event.responseElements.TotalCount > 5", Compare(COUNT, CompareOp.GT, 5.0), "greater"),
    ("event.responseElements.TotalCount >= -2.5", Compare(COUNT, CompareOp.GE, -2.5), "greater-or-equal"),
    ('event.responseElements.TotalCount < "10"', Compare(COUNT, CompareOp.LT, 10.0), "quoted-number"),
    ("event.responseElements.TotalCount<=0", Compare(COUNT, CompareOp.LE, 0.0), "less-or-equal-no-spaces"),
    ('event.eventTime >= "2026-01-01T00:00:00Z"', TimeRange(JAN_1, None), "time-from"),
    ('event.eventTime > "2026-01-01T00:00:00Z"', TimeRange(JAN_1 + SECOND, None), "time-after-the-second"),
    ('event.eventTime < "2026-01-01"', TimeRange(None, JAN_1), "time-before-the-day"),
    ('event.eventTime <= "2026-01-01"', TimeRange(None, JAN_1 + DAY), "time-up-to-the-days-end"),
    ('event.eventTime: "2026-01-01"', TimeRange(JAN_1, JAN_1 + DAY), "time-is-the-whole-day"),
    ('event.eventTime: "2026-01-01T08:00:00+08:00"', TimeRange(JAN_1, JAN_1 + SECOND), "time-with-offset"),
    ('event.eventTime: "2026-01-01T00:00:00.5Z"', TimeRange(JAN_1 + 500, JAN_1 + 501), "time-with-fraction"),
    (f"event.eventTime >= {JAN_1}", TimeRange(JAN_1, None), "time-in-milliseconds"),
    ("NOT Decrypt", Not(Term(("decrypt",))), "not"),
    ("not not Decrypt", Not(Not(Term(("decrypt",)))), "not-not"),
    ("a and b", And((Term(("a",)), Term(("b",)))), "keywords-any-case"),
    ("a OR b AND c", Or((Term(("a",)), And((Term(("b",)), Term(("c",)))))), "and-binds-tighter-than-or"),
    ("NOT a AND b", And((Not(Term(("a",))), Term(("b",)))), "not-binds-tightest"),
    ("(a OR b) AND c", And((Or((Term(("a",)), Term(("b",)))), Term(("c",)))), "parentheses"),
    ("a OR b OR c", Or((Term(("a",)), Term(("b",)), Term(("c",)))), "or-chain-is-flat"),
    ('"and"', Term(("and",)), "quoted-keyword-is-a-term"),
]


@pytest.mark.parametrize(("text", "condition"), [g[:2] for g in GRAMMAR], ids=[g[2] for g in GRAMMAR])
def test_each_construct_parses_to_its_condition(text: str, condition: object) -> None:
    assert parse(text).condition == condition


@pytest.mark.parametrize(
    ("text", "by"),
    [
        ("* | stats count()", ()),
        ("| stats count()", ()),
        ("* | STATS COUNT() BY event.eventName", (NAME,)),
        ("* | stats count() by event.eventName, event.requestParameters.KeyId", (NAME, KEY_ID)),
    ],
    ids=["count-alone", "nothing-before-the-pipe", "keywords-any-case", "several-fields"],
)
def test_the_stats_stage_names_its_fields(text: str, by: tuple[Field, ...]) -> None:
    assert parse(text).stats == Stats(by)


ERRORS = [
    ('* AND (event.serviceName: "Kms"', 32, "expected AND, OR or ')' after \"Kms\", found end of input"),
    ("a b", 3, "expected AND, OR, '|' or end of input after 'a', found 'b'"),
    ('"abc', 1, 'expected a closing " for the phrase that starts here'),
    ("a AND", 6, "expected a term, a phrase, a field, '*', NOT or '(' after 'AND', found end of input"),
    ("()", 2, "expected a term, a phrase, a field, '*', NOT or '(' after '(', found ')'"),
    ("a)", 2, "expected AND, OR, '|' or end of input after 'a', found ')'"),
    ("serviceName: Kms", 1, "expected a field starting with 'event.'"),
    ("event.servicename: Kms", 7, "found 'servicename' (did you mean event.serviceName?)"),
    ("event.serviceName.: Kms", 19, "expected a key"),
    ("event.requestParameters.1a: x", 25, "expected a key"),
    ("event.serviceName:", 19, "expected a value after 'event.serviceName:'"),
    ("event.serviceName: (Kms)", 20, "expected a value after 'event.serviceName:'"),
    ("event.eventName > 5", 1, "expected ':' after event.eventName"),
    ("event.responseElements.X > five", 28, "expected a number such as 5 or -2.5, found 'five'"),
    ("event.responseElements.X > 1e5", 28, "expected a number"),
    ('event.eventTime > "yesterday"', 19, 'expected a time such as "2026-01-01T00:00:00Z"'),
    ('event.eventTime > "2026-02-30"', 19, "expected a valid date and time"),
    ('event.eventTime: "2026-01-01*"', 18, "expected a time without '*'"),
    ("De*cr", 3, "expected '*' only at the end of a term or value"),
    ('"..."', 1, "expected a term with a letter or digit"),
    ("a" * 101, 1, "expected words of at most 100 characters"),
    ("a | count()", 5, "expected stats after '|', found 'count'"),
    ("a | stats count", 16, "expected '(' after 'count', found end of input"),
    ("a | stats count() event.eventName", 19, "expected by or end of input after ')'"),
    ("a | stats count() by", 21, "expected a field such as event.eventName after 'by'"),
    ("a | stats count() by event.eventTime", 22, "expected a field other than event.eventTime"),
    (
        "a | stats count() by event.eventName x",
        38,
        "expected end of input after 'event.eventName', found 'x'",
    ),
    ("a\x00b", 2, "expected a printable character, found '\\x00'"),
    ('"a\x07"', 3, "expected a printable character"),
]


@pytest.mark.parametrize(("text", "column", "problem"), ERRORS, ids=[e[0][:40] for e in ERRORS])
def test_a_bad_query_names_the_column_and_what_was_expected(text: str, column: int, problem: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(text)
    assert caught.value.column == column
    assert problem in caught.value.problem
    assert caught.value.message == f"query: column {column}: {caught.value.problem}"


def test_a_query_error_is_an_invalid_argument_with_its_own_code() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse("(")
    assert caught.value.code == "InvalidParameter.Query"


def test_a_long_error_quotes_only_the_start_of_what_it_found() -> None:
    with pytest.raises(QueryError) as caught:
        parse("a " + "b" * 500)
    assert "…" in caught.value.problem
    assert len(caught.value.message) < 200


def test_a_query_longer_than_the_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(QueryError) as caught:
        parse("a" * (MAX_LENGTH + 1))
    assert caught.value.column == MAX_LENGTH + 1


def test_nesting_deeper_than_the_limit_is_refused_where_it_goes_too_deep() -> None:
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    with pytest.raises(QueryError) as caught:
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert caught.value.column == MAX_DEPTH + 1
    with pytest.raises(QueryError):
        parse("NOT " * (MAX_DEPTH + 1) + "a")


def test_more_conditions_than_the_limit_are_refused() -> None:
    parse(" OR ".join(["a"] * MAX_CONDITIONS))
    with pytest.raises(QueryError) as caught:
        parse(" OR ".join(["a"] * (MAX_CONDITIONS + 1)))
    assert "at most" in caught.value.problem


def test_stats_takes_at_most_four_fields() -> None:
    parse("* | stats count() by event.eventName, event.eventRW, event.serviceName, event.errorCode")
    with pytest.raises(QueryError):
        parse(
            "* | stats count() by event.eventName, event.eventRW, event.serviceName, event.errorCode, event.userAgent"
        )
