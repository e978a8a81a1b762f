"""SQLFilter lexer: reads tokens lazily, so the fault reported is always the first one in reading order."""

from __future__ import annotations

import re
from collections.abc import Iterator

from vigil.alerting.sqlfilter.tokens import KEYWORDS, SqlFilterError, Token, TokenKind, snippet

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# A number running straight into one of these (``12ab``, ``1.``, ``1.2.3``) is a typo, not two tokens.
_NUMBER_TAIL = re.compile(r"[A-Za-z0-9_.]")
_SPACE = frozenset(" \t\r\n\f\v")
# Two-character operators first, so ``<=`` is never read as ``<`` then ``=``.
_OPERATORS: tuple[tuple[str, TokenKind], ...] = (
    ("<=", TokenKind.LE),
    (">=", TokenKind.GE),
    ("<>", TokenKind.NE),
    ("!=", TokenKind.NE),
    ("=", TokenKind.EQ),
    ("<", TokenKind.LT),
    (">", TokenKind.GT),
    ("(", TokenKind.LPAREN),
    (")", TokenKind.RPAREN),
    (",", TokenKind.COMMA),
    (".", TokenKind.DOT),
)


def lex(text: str) -> Iterator[Token]:
    """Tokens of ``text``, ending with one EOF token. Raises SqlFilterError at a character it cannot read."""
    i = 0
    while True:
        while i < len(text) and text[i] in _SPACE:
            i += 1
        if i == len(text):
            yield Token(TokenKind.EOF, "", i + 1)
            return
        token = _read(text, i)
        yield token
        i += len(token.text)


def _read(text: str, i: int) -> Token:
    char = text[i]
    if char == "'":
        return Token(TokenKind.STRING, _quoted(text, i, "string"), i + 1)
    if char in '`"':
        return Token(TokenKind.QUOTED_FIELD, _quoted(text, i, "field name"), i + 1)
    if word := _WORD.match(text, i):
        return Token(KEYWORDS.get(word.group().lower(), TokenKind.FIELD), word.group(), i + 1)
    if char == "-" or (char.isascii() and char.isdigit()):
        return _number(text, i)
    for spelling, kind in _OPERATORS:
        if text.startswith(spelling, i):
            return Token(kind, spelling, i + 1)
    raise SqlFilterError(
        i + 1, f"expected a field, value, operator or parenthesis, found {snippet(text[i : i + 1])}"
    )


def _quoted(text: str, start: int, what: str) -> str:
    """The quoted token starting at ``start``; the quote character doubled stands for itself."""
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == quote:
            if text.startswith(quote, i + 1):
                i += 2
                continue
            return text[start : i + 1]
        i += 1
    raise SqlFilterError(
        start + 1, f"expected a closing {quote} for the {what} that starts here, found end of input"
    )


def _number(text: str, i: int) -> Token:
    number = _NUMBER.match(text, i)
    if number is None:
        raise SqlFilterError(i + 1, f"expected a number, found {snippet(text[i : i + 2])}")
    end = number.end()
    if end < len(text) and _NUMBER_TAIL.match(text, end):
        raise SqlFilterError(i + 1, f"expected a number, found {snippet(text[i : end + 1])}")
    return Token(TokenKind.NUMBER, number.group(), i + 1)
