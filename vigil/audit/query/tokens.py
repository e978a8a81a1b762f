"""Audit query tokens: the kinds, the Token value with its 1-based column, and the error that points at one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vigil.errors import InvalidArgument

# An error quotes no more than this much of the text, so a long query is never echoed back whole.
SNIPPET_CHARS = 40


class TokenKind(StrEnum):
    WORD = "word"  # a bare term, a field name, a value or `*`: what it is depends on its neighbours
    PHRASE = "phrase"  # "double-quoted", backslash escaping the next character
    AND = "AND"
    OR = "OR"
    NOT = "NOT"
    COLON = ":"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LPAREN = "("
    RPAREN = ")"
    PIPE = "|"
    COMMA = ","
    EOF = "end of input"


KEYWORDS: dict[str, TokenKind] = {
    kind.value.lower(): kind for kind in (TokenKind.AND, TokenKind.OR, TokenKind.NOT)
}
COMPARISONS = frozenset({TokenKind.LT, TokenKind.LE, TokenKind.GT, TokenKind.GE})


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of the text exactly as written; ``pos`` is the 1-based column of its first character."""

    kind: TokenKind
    text: str
    pos: int


class QueryError(InvalidArgument):
    """An audit query that cannot be read; ``column`` is 1-based, ``problem`` says what was expected there."""

    code = "InvalidParameter.Query"

    def __init__(self, column: int, problem: str) -> None:
        super().__init__(f"query: column {column}: {problem}")
        self.column = column
        self.problem = problem


def snippet(text: str) -> str:
    """``text`` cut to SNIPPET_CHARS and quoted with its control characters escaped, for an error message."""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + "…"
    if text.startswith('"'):
        return text if text.isprintable() else repr(text)
    return repr(text)


def describe(token: Token) -> str:
    """How an error message names a token: a phrase as written, anything else in single quotes."""
    return "end of input" if token.kind is TokenKind.EOF else snippet(token.text)
