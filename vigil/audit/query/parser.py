"""Audit query parser: recursive descent from tokens to a Statement, with limits on length, depth and size.

Precedence is NOT over AND over OR; AND and OR chains become one flat node each. A word is a field
when ``:`` or a comparison follows it, ``*`` when it is only stars, and a bare term otherwise. An
empty search (nothing, or nothing before ``|``) is ``*``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo

from vigil.audit import fulltext
from vigil.audit.model import canonical
from vigil.audit.query.fields import CHOICES, resolve
from vigil.audit.query.lexer import lex
from vigil.audit.query.nodes import (
    And,
    Compare,
    CompareOp,
    Condition,
    Equals,
    Field,
    FieldKind,
    MatchAll,
    Not,
    Or,
    Prefix,
    Present,
    Statement,
    Stats,
    Term,
    TimeRange,
)
from vigil.audit.query.tokens import COMPARISONS, QueryError, Token, TokenKind, describe, snippet

MAX_LENGTH = 4096
MAX_DEPTH = 32  # parentheses and NOT together; it also bounds the recursion of parse and to_sql
MAX_CONDITIONS = 64  # terms and field conditions: each is a clause of the SQL
MAX_GROUP_FIELDS = 4

_CONTINUE = "AND, OR, '|' or end of input"
_OPERAND = "a term, a phrase, a field, '*', NOT or '('"
_COMPARE = {
    TokenKind.LT: CompareOp.LT,
    TokenKind.LE: CompareOp.LE,
    TokenKind.GT: CompareOp.GT,
    TokenKind.GE: CompareOp.GE,
}
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?)?(Z|[+-]\d{2}:?\d{2})?"
)
_UNITS_MS = (86_400_000, 3_600_000, 60_000, 1_000, 1)  # a date, then to the hour, minute, second, fraction
_LATEST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse(text: str) -> Statement:
    """Read an audit query. Raises QueryError naming the column at fault and what was expected there."""
    if len(text) > MAX_LENGTH:
        raise QueryError(MAX_LENGTH + 1, f"expected at most {MAX_LENGTH} characters, found {len(text)}")
    return _Parser(text).statement()


class _Parser:
    """One pass over one text, with a single token of lookahead and the token before it."""

    __slots__ = ("_conditions", "_depth", "_next", "_previous", "_tokens")

    def __init__(self, text: str) -> None:
        self._tokens = lex(text)
        self._next = next(self._tokens)
        self._previous: Token | None = None
        self._depth = 0
        self._conditions = 0

    def statement(self) -> Statement:
        empty = self._next.kind in (TokenKind.EOF, TokenKind.PIPE)
        condition: Condition = MatchAll() if empty else self._or()
        stats = self._stats() if self._accept(TokenKind.PIPE) else None
        if self._next.kind is not TokenKind.EOF:
            raise self._expected("end of input" if stats else _CONTINUE)
        return Statement(condition, stats)

    # -- conditions --------------------------------------------------------------------------

    def _or(self) -> Condition:
        operands = [self._and()]
        while self._accept(TokenKind.OR):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Condition:
        operands = [self._not()]
        while self._accept(TokenKind.AND):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _not(self) -> Condition:
        negations = 0
        while (token := self._accept(TokenKind.NOT)) is not None:
            self._enter(token)
            negations += 1
        condition = self._primary()
        self._depth -= negations
        for _ in range(negations):
            condition = Not(condition)
        return condition

    def _primary(self) -> Condition:
        if (token := self._accept(TokenKind.LPAREN)) is not None:
            self._enter(token)
            condition = self._or()
            self._expect(TokenKind.RPAREN, "AND, OR or ')'")
            self._depth -= 1
            return condition
        token = self._next
        if token.kind is TokenKind.PHRASE:
            return self._term(self._advance())
        if token.kind is not TokenKind.WORD:
            raise self._expected(_OPERAND)
        self._advance()
        if self._accept(TokenKind.COLON):
            return self._match(token)
        if self._next.kind in COMPARISONS:
            return self._compare(token, _COMPARE[self._advance().kind])
        return self._term(token)

    def _term(self, token: Token) -> Condition:
        value, prefix = _value(token)
        if value == "":
            if prefix:  # only stars
                return MatchAll()
            raise QueryError(token.pos, f"expected a term with a letter or digit, found {describe(token)}")
        found = fulltext.words(value, keep_long=True)
        if not found:
            raise QueryError(token.pos, f"expected a term with a letter or digit, found {describe(token)}")
        if max(map(len, found)) > fulltext.MAX_WORD_CHARS:
            raise QueryError(
                token.pos,
                f"expected words of at most {fulltext.MAX_WORD_CHARS} characters (longer ones are not searched)",
            )
        self._count(token)
        return Term(tuple(found), prefix and value[-1].isalnum())

    def _match(self, name: Token) -> Condition:
        field = resolve(name)
        token = self._next
        if token.kind not in (TokenKind.WORD, TokenKind.PHRASE):
            raise self._expected(
                f"a value after {snippet(field.name + ':')} (quote a value with spaces)", after=False
            )
        self._advance()
        self._count(token)
        value, prefix = _value(token)
        if prefix and value == "":
            return Present(field)
        if field.kind is FieldKind.TIME:
            if prefix:
                raise QueryError(token.pos, f"expected a time without '*', found {describe(token)}")
            start, unit = _moment(token)
            return TimeRange(start, start + unit)
        if field.column in CHOICES:
            value = canonical(value, CHOICES[field.column])
        return Prefix(field, value) if prefix else Equals(field, value)

    def _compare(self, name: Token, op: CompareOp) -> Condition:
        field = resolve(name)
        token = self._next
        if token.kind not in (TokenKind.WORD, TokenKind.PHRASE):
            raise self._expected(f"a number or time after {snippet(op.value)}", after=False)
        if field.kind is FieldKind.TEXT:
            raise QueryError(
                name.pos,
                f"expected ':' after {field.name} (a text field matches with ':'; only event.eventTime "
                "and numbers inside the event compare with <, <=, > and >=)",
            )
        self._advance()
        self._count(token)
        if field.kind is FieldKind.TIME:
            return _time_comparison(op, *_moment(token))
        return Compare(field, op, _number(token))

    # -- the stats stage ---------------------------------------------------------------------

    def _stats(self) -> Stats:
        self._keyword("stats", "stats")
        self._keyword("count", "count()")
        self._expect(TokenKind.LPAREN, "'('")
        self._expect(TokenKind.RPAREN, "')'")
        if self._next.kind is TokenKind.EOF:
            return Stats()
        self._keyword("by", "by or end of input")
        fields = [self._group_field()]
        while self._accept(TokenKind.COMMA):
            if len(fields) == MAX_GROUP_FIELDS:
                raise self._expected(f"at most {MAX_GROUP_FIELDS} fields after by", after=False)
            fields.append(self._group_field())
        return Stats(tuple(fields))

    def _group_field(self) -> Field:
        token = self._expect(TokenKind.WORD, "a field such as event.eventName")
        field = resolve(token)
        if field.kind is FieldKind.TIME:
            raise QueryError(
                token.pos, "expected a field other than event.eventTime (counts are not kept per moment)"
            )
        return field

    def _keyword(self, word: str, expected: str) -> None:
        if self._next.kind is not TokenKind.WORD or self._next.text.lower() != word:
            raise self._expected(expected)
        self._advance()

    # -- bookkeeping -------------------------------------------------------------------------

    def _count(self, token: Token) -> None:
        self._conditions += 1
        if self._conditions > MAX_CONDITIONS:
            raise QueryError(
                token.pos, f"expected at most {MAX_CONDITIONS} terms and field conditions, found more"
            )

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise QueryError(
                token.pos, f"expected at most {MAX_DEPTH} levels of parentheses and NOT, found more"
            )

    def _advance(self) -> Token:
        token = self._next
        if token.kind is not TokenKind.EOF:
            self._previous = token
            self._next = next(self._tokens)
        return token

    def _accept(self, kind: TokenKind) -> Token | None:
        return self._advance() if self._next.kind is kind else None

    def _expect(self, kind: TokenKind, expected: str) -> Token:
        if self._next.kind is not kind:
            raise self._expected(expected)
        return self._advance()

    def _expected(self, expected: str, *, after: bool = True) -> QueryError:
        """The error for the next token; it names the token before, unless ``expected`` already does."""
        before = f" after {describe(self._previous)}" if after and self._previous is not None else ""
        return QueryError(self._next.pos, f"expected {expected}{before}, found {describe(self._next)}")


def _value(token: Token) -> tuple[str, bool]:
    """The text a word or phrase stands for, without its trailing wildcard stars, and whether it had any.

    In a phrase, a backslash makes the next character stand for itself (``\\*`` is a star, not a
    wildcard). In a word, a star before the end is refused: it would silently split the term.
    """
    if token.kind is TokenKind.WORD:
        text = token.text.rstrip("*")
        if "*" in text:
            raise QueryError(token.pos + text.index("*"), "expected '*' only at the end of a term or value")
        return text, len(text) < len(token.text)
    chars, escaped_end = [], 0
    body = token.text[1:-1]
    i = 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            chars.append(body[i + 1])
            i += 2
            escaped_end = len(chars)
        else:
            chars.append(body[i])
            i += 1
    stars = 0
    while len(chars) - stars > escaped_end and chars[len(chars) - stars - 1] == "*":
        stars += 1
    return "".join(chars[: len(chars) - stars]), stars > 0


def _number(token: Token) -> float:
    text, _ = _value(token)
    if _NUMBER.fullmatch(text) is None:
        raise QueryError(token.pos, f"expected a number such as 5 or -2.5, found {describe(token)}")
    number = float(text)
    if not math.isfinite(number):
        raise QueryError(token.pos, f"expected a number within range, found {describe(token)}")
    return number


def _moment(token: Token) -> tuple[int, int]:
    """The first millisecond a time literal names, and how many milliseconds it spans (its precision)."""
    text, starred = _value(token)
    if not starred and text.isascii() and text.isdigit() and len(text) <= 15:
        return _bounded(token, int(text)), 1
    found = _TIME.fullmatch(text) if not starred else None
    if found is None:
        raise QueryError(
            token.pos,
            f'expected a time such as "2026-01-01T00:00:00Z" or milliseconds since 1970, found {describe(token)}',
        )
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
            int((fraction or "0").ljust(6, "0")), tzinfo=_zone(zone),
        )  # fmt: skip
        ms = (moment - _EPOCH) // timedelta(milliseconds=1)
    except (ValueError, OverflowError):
        raise QueryError(token.pos, f"expected a valid date and time, found {describe(token)}") from None
    precision = sum(part is not None for part in (hour, minute, second, fraction))
    return _bounded(token, ms), _UNITS_MS[precision]


def _zone(zone: str | None) -> tzinfo:
    if zone is None or zone == "Z":
        return UTC
    return datetime.strptime(zone.replace(":", ""), "%z").tzinfo or UTC


def _bounded(token: Token, ms: int) -> int:
    if not 0 <= ms <= _LATEST_MS:
        raise QueryError(token.pos, f"expected a time between 1970 and 9999, found {describe(token)}")
    return ms


def _time_comparison(op: CompareOp, start: int, unit: int) -> TimeRange:
    """A comparison with a time literal compares with the whole span it names: ``> "2026-01-01"``
    is after that day, ``<= "2026-01-01"`` up to its end."""
    match op:
        case CompareOp.LT:
            return TimeRange(None, start)
        case CompareOp.LE:
            return TimeRange(None, start + unit)
        case CompareOp.GT:
            return TimeRange(start + unit, None)
        case CompareOp.GE:
            return TimeRange(start, None)
