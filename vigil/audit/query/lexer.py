"""Audit query lexer: reads tokens lazily, so the fault reported is always the first one in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from vigil.audit.query.tokens import KEYWORDS, QueryError, Token, TokenKind, snippet

_SPACE = frozenset(" \t\r\n\f\v")
# Two-character operators first, so ``<=`` is never read as ``<`` then a word ``=``.
_OPERATORS: tuple[tuple[str, TokenKind], ...] = (
    ("<=", TokenKind.LE),
    (">=", TokenKind.GE),
    ("<", TokenKind.LT),
    (">", TokenKind.GT),
    (":", TokenKind.COLON),
    ("(", TokenKind.LPAREN),
    (")", TokenKind.RPAREN),
    ("|", TokenKind.PIPE),
    (",", TokenKind.COMMA),
)
_WORD_ENDS = _SPACE | frozenset('"<>:()|,')


def lex(text: str) -> Iterator[Token]:
    """Tokens of ``text``, ending with one EOF token. Raises QueryError at a character it cannot read."""
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
    if text[i] == '"':
        return Token(TokenKind.PHRASE, _phrase(text, i), i + 1)
    for spelling, kind in _OPERATORS:
        if text.startswith(spelling, i):
            return Token(kind, spelling, i + 1)
    end = i
    while end < len(text) and text[end] not in _WORD_ENDS:
        _check_character(text, end)
        end += 1
    word = text[i:end]
    return Token(KEYWORDS.get(word.lower(), TokenKind.WORD), word, i + 1)


def _phrase(text: str, start: int) -> str:
    """The phrase starting at ``start``, quotes included; a backslash escapes the character after it."""
    i = start + 1
    while i < len(text):
        _check_character(text, i)
        if text[i] == "\\":
            if i + 1 < len(text):
                _check_character(text, i + 1)
            i += 2
            continue
        if text[i] == '"':
            return text[start : i + 1]
        i += 1
    raise QueryError(start + 1, 'expected a closing " for the phrase that starts here, found end of input')


def _check_character(text: str, i: int) -> None:
    """Control characters and lone surrogates never reach SQL: PostgreSQL rejects NUL in text, and
    neither driver can encode a surrogate."""
    char = text[i]
    if (char < " " and char not in _SPACE) or char == "\x7f" or "\ud800" <= char <= "\udfff":
        raise QueryError(i + 1, f"expected a printable character, found {snippet(char)}")
