"""The audit query parser under Hypothesis: any text either parses or fails with a column inside it,
and whatever parses renders for both engines with only bound values in the SQL."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vigil.audit.query import MAX_LENGTH, QueryError, compile_query, parse

PIECES = [
    "*", "**", "a", "Decr*", "De*cr", "key-abc", "10.0.0.1", '"x y"', '"k*"', '"\\*"', '"\\', '"', "AND", "or",
    "not", "(", ")", ":", "|", ",", "<", "<=", ">", ">=", "=", "stats", "count", "()", "by", "event.eventName",
    "event.serviceName", "event.eventTime", "event.requestParameters.KeyId", "event.", "event.x", "event.1",
    "5", "-2.5", "1e5", '"2026-01-01"', '"2026-01-01T00:00:00Z"', "%", "_", "'", "\\", "\n", "é", "生产", "\x00",
]  # fmt: skip


def check(text: str) -> None:
    try:
        statement = parse(text)
    except QueryError as error:
        assert 1 <= error.column <= len(text) + 1
        assert error.message.startswith(f"query: column {error.column}: expected ")
    else:
        for dialect in ("sqlite", "postgresql"):
            compiled = compile_query(text, dialect)
            assert compiled.where.count("?") == len(compiled.params)
            assert statement.stats is None or compiled.stats is not None


@given(st.text(max_size=300))
def test_any_text_parses_or_fails_with_a_column_inside_it(text: str) -> None:
    check(text)


@given(st.lists(st.sampled_from(PIECES), max_size=40), st.sampled_from([" ", ""]))
def test_any_soup_of_grammar_pieces_parses_or_fails_with_a_column_inside_it(
    pieces: list[str], separator: str
) -> None:
    check(separator.join(pieces))


@given(st.text(alphabet="( NOT)a:*", min_size=MAX_LENGTH - 20, max_size=MAX_LENGTH + 20))
def test_text_near_the_limits_parses_or_fails_with_a_column_inside_it(text: str) -> None:
    check(text)
