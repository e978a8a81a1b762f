"""SQLFilter tokens: the kinds, the Token value with its 1-based column, and the error that points at one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vigil.errors import InvalidArgument

# An error quotes no more than this much of the text, so a rule's whole filter is never echoed back.
SNIPPET_CHARS = 40


class TokenKind(StrEnum):
    FIELD = "field"
    QUOTED_FIELD = "quoted field"
    STRING = "string"
    NUMBER = "number"
    AND = "and"
    OR = "or"
    NOT = "not"
    IN = "in"
    LIKE = "like"
    IS = "is"
    CONTAINS = "contains"
    NULL = "null"
    TRUE = "true"
    FALSE = "false"
    EQ = "="
    NE = "!="  # also spelled <>
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    EOF = "end of input"


KEYWORDS: dict[str, TokenKind] = {
    kind.value: kind
    for kind in (
        TokenKind.AND,
        TokenKind.OR,
        TokenKind.NOT,
        TokenKind.IN,
        TokenKind.LIKE,
        TokenKind.IS,
        TokenKind.CONTAINS,
        TokenKind.NULL,
        TokenKind.TRUE,
        TokenKind.FALSE,
    )
}


@dataclass(frozen=True, slots=True)
class Token:
    """A piece of the text exactly as written; ``pos`` is the 1-based column of its first character."""

    kind: TokenKind
    text: str
    pos: int


class SqlFilterError(InvalidArgument):
    """An SQLFilter that cannot be read; ``column`` is 1-based, ``problem`` says what was expected there."""

    code = "InvalidParameter.SQLFilter"

    def __init__(self, column: int, problem: str) -> None:
        super().__init__(f"SQLFilter: column {column}: {problem}")
        self.column = column
        self.problem = problem


def snippet(text: str) -> str:
    """``text`` cut to SNIPPET_CHARS and quoted, for an error message."""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS] + "…"
    return repr(text)


def describe(token: Token) -> str:
    """How an error message names the token it found."""
    return "end of input" if token.kind is TokenKind.EOF else snippet(token.text)


def unquote(text: str) -> str:
    """The content of a quoted string or field, with its doubled quote character made single."""
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)
