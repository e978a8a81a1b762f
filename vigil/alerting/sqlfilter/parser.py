"""SQLFilter parser: recursive descent from tokens to an immutable Filter, with limits on length and depth.

Precedence is ``not`` over ``and`` over ``or``; ``and`` and ``or`` chains become one flat node each.
"""

from __future__ import annotations

import math

from vigil.alerting.sqlfilter.expr import (
    And,
    CompareOp,
    Comparison,
    Contains,
    FieldPath,
    Filter,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Value,
)
from vigil.alerting.sqlfilter.lexer import lex
from vigil.alerting.sqlfilter.tokens import SqlFilterError, Token, TokenKind, describe, unquote

MAX_LENGTH = 2048
MAX_DEPTH = 32  # parentheses and ``not`` together; it also bounds the recursion of parse and evaluate

_VALUE = "a value (a quoted string, number, true, false or null)"
_OPERATOR = "an operator (=, !=, <>, <, <=, >, >=, in, like, contains, is or not)"
_COMPARE = {
    TokenKind.EQ: CompareOp.EQ,
    TokenKind.NE: CompareOp.NE,
    TokenKind.LT: CompareOp.LT,
    TokenKind.LE: CompareOp.LE,
    TokenKind.GT: CompareOp.GT,
    TokenKind.GE: CompareOp.GE,
}
_LITERALS: dict[TokenKind, Value] = {TokenKind.TRUE: True, TokenKind.FALSE: False, TokenKind.NULL: None}


def parse(text: str) -> Filter:
    """Compile an SQLFilter condition. Raises SqlFilterError naming the column at fault."""
    if len(text) > MAX_LENGTH:
        raise SqlFilterError(MAX_LENGTH + 1, f"expected at most {MAX_LENGTH} characters, found {len(text)}")
    return _Parser(text).filter()


class _Parser:
    """One pass over one text, with a single token of lookahead."""

    __slots__ = ("_depth", "_next", "_tokens")

    def __init__(self, text: str) -> None:
        self._tokens = lex(text)
        self._next = next(self._tokens)
        self._depth = 0

    def filter(self) -> Filter:
        expr = self._or()
        if self._next.kind is not TokenKind.EOF:
            raise self._expected("and, or or end of input")
        return expr

    def _or(self) -> Filter:
        operands = [self._and()]
        while self._accept(TokenKind.OR):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Filter:
        operands = [self._not()]
        while self._accept(TokenKind.AND):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _not(self) -> Filter:
        negations = 0
        while (token := self._accept(TokenKind.NOT)) is not None:
            self._enter(token)
            negations += 1
        expr = self._primary()
        self._depth -= negations
        for _ in range(negations):
            expr = Not(expr)
        return expr

    def _primary(self) -> Filter:
        if (token := self._accept(TokenKind.LPAREN)) is None:
            return self._predicate()
        self._enter(token)
        expr = self._or()
        self._expect(TokenKind.RPAREN, "and, or or ')'")
        self._depth -= 1
        return expr

    def _predicate(self) -> Filter:
        field = self._field()
        kind = self._next.kind
        if kind in _COMPARE:
            self._advance()
            return Comparison(field, _COMPARE[kind], self._value())
        if self._accept(TokenKind.IS):
            negated = self._accept(TokenKind.NOT) is not None
            self._expect(TokenKind.NULL, "null or not null")
            return IsNull(field, negated)
        negated = self._accept(TokenKind.NOT) is not None
        if self._accept(TokenKind.IN):
            return In(field, self._values(), negated)
        if self._accept(TokenKind.LIKE):
            return Like(field, self._string(), negated)
        if self._accept(TokenKind.CONTAINS):
            return Contains(field, self._string(), negated)
        raise self._expected("in, like or contains" if negated else _OPERATOR)

    def _field(self) -> FieldPath:
        names = [self._name("a field name, '(' or not")]
        while self._accept(TokenKind.DOT):
            names.append(self._name("a field name after '.'"))
        return FieldPath(tuple(names))

    def _name(self, expected: str) -> str:
        token = self._next
        if token.kind is TokenKind.FIELD:
            return self._advance().text
        if token.kind is TokenKind.QUOTED_FIELD and len(token.text) > 2:
            return unquote(self._advance().text)
        raise self._expected(expected)

    def _values(self) -> tuple[Value, ...]:
        self._expect(TokenKind.LPAREN, "'(' and a list of values")
        values = [self._value()]
        while self._accept(TokenKind.COMMA):
            values.append(self._value())
        self._expect(TokenKind.RPAREN, "',' or ')'")
        return tuple(values)

    def _value(self) -> Value:
        token = self._next
        if token.kind is TokenKind.STRING:
            return unquote(self._advance().text)
        if token.kind is TokenKind.NUMBER:
            return self._number(self._advance())
        if token.kind in _LITERALS:
            return _LITERALS[self._advance().kind]
        if token.text.startswith('"'):
            raise self._expected(_VALUE, hint=" (strings take single quotes)")
        raise self._expected(_VALUE)

    def _string(self) -> str:
        return unquote(self._expect(TokenKind.STRING, "a quoted string").text)

    @staticmethod
    def _number(token: Token) -> int | float:
        if "." not in token.text:
            return int(token.text)
        number = float(token.text)
        if not math.isfinite(number):
            raise SqlFilterError(token.pos, f"expected a number within range, found {describe(token)}")
        return number

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise SqlFilterError(
                token.pos, f"expected at most {MAX_DEPTH} levels of parentheses and not, found more"
            )

    def _advance(self) -> Token:
        token = self._next
        if token.kind is not TokenKind.EOF:
            self._next = next(self._tokens)
        return token

    def _accept(self, kind: TokenKind) -> Token | None:
        return self._advance() if self._next.kind is kind else None

    def _expect(self, kind: TokenKind, expected: str) -> Token:
        if self._next.kind is not kind:
            raise self._expected(expected)
        return self._advance()

    def _expected(self, expected: str, hint: str = "") -> SqlFilterError:
        found = describe(self._next)
        return SqlFilterError(self._next.pos, f"expected {expected}, found {found}{hint}")
