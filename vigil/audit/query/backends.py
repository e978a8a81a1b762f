"""How each engine spells what an audit query needs that SQL leaves to the engine: reading the event
JSON, a case-sensitive prefix, the text index, and a collation-free order.

Every value is a bound parameter; the SQL text holds only names and operators chosen here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

MIN_INDEXED_PREFIX = 3
"""A shorter wildcard word is not looked up in the text index (it would expand to a large part of
it); the LIKE check alone matches it."""
PG_WORDS = "array_to_tsvector(string_to_array(btrim(search_text), ' '))"
"""The expression of the GIN index audit_records_words, word for word: a query must repeat it."""


@dataclass(frozen=True, slots=True)
class Sql:
    """A piece of SQL and the parameters of its ``?`` placeholders, in order."""

    text: str
    params: tuple[Any, ...] = ()


class Backend(Protocol):
    def json_text(self, path: Sequence[str]) -> Sql:
        """The string, number or boolean at ``path`` in the event as text; NULL for anything else."""
        ...

    def json_number_compare(self, path: Sequence[str], op: str, number: float) -> Sql:
        """The number at ``path`` (a JSON number, or a string of up to 15 digits) ``op`` ``number``;
        NULL where there is no such number."""
        ...

    def json_present(self, path: Sequence[str]) -> Sql:
        """True when ``path`` holds a value other than null."""
        ...

    def prefix(self, expr: Sql, prefix: str) -> Sql:
        """``expr`` starts with ``prefix``, case-sensitively, every character standing for itself."""
        ...

    def indexed_words(self, words: Sequence[str], prefix: bool) -> Sql | None:
        """Records whose text index holds ``words`` (the last a prefix if ``prefix``), or None when
        no word can be looked up. A pre-filter: the LIKE check decides."""
        ...

    def code_point_order(self, expr: str) -> str:
        """``expr`` ordered by code point, whatever the database's collation."""
        ...


def lookup_words(words: Sequence[str], prefix: bool) -> list[tuple[str, bool]]:
    """The words to look up in a text index: (word, is a prefix). Both indexes hold search_text's
    words exactly, and a word never holds a quote, backslash or space (fulltext.words)."""
    found = [(w, False) for w in words[:-1]]
    if not prefix or len(words[-1]) >= MIN_INDEXED_PREFIX:
        found.append((words[-1], prefix))
    return found


class SqliteBackend:
    """JSON1 functions, GLOB for prefixes (LIKE ignores ASCII case there), FTS5 for words."""

    def json_text(self, path: Sequence[str]) -> Sql:
        p = _sqlite_path(path)
        return Sql(
            "CASE json_type(record, ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN NULL "
            "WHEN 'object' THEN NULL WHEN 'array' THEN NULL ELSE CAST(json_extract(record, ?) AS TEXT) END",
            (p, p),
        )

    def json_number_compare(self, path: Sequence[str], op: str, number: float) -> Sql:
        p = _sqlite_path(path)
        v = "json_extract(record, ?)"
        digits = (
            f"({v} GLOB '[0-9]*' OR {v} GLOB '-[0-9]*') AND substr({v}, 2) NOT GLOB '*[^0-9]*' "
            f"AND length(ltrim({v}, '-')) <= 15"
        )
        found = _repeated(
            f"CASE json_type(record, ?) WHEN 'integer' THEN CAST({v} AS REAL) WHEN 'real' THEN {v} "
            f"WHEN 'text' THEN CASE WHEN {digits} THEN CAST({v} AS REAL) END END",
            p,
        )
        return Sql(f"{found.text} {op} ?", (*found.params, number))

    def json_present(self, path: Sequence[str]) -> Sql:
        return Sql("COALESCE(json_type(record, ?), 'null') <> 'null'", (_sqlite_path(path),))

    def prefix(self, expr: Sql, prefix: str) -> Sql:
        escaped = "".join(f"[{c}]" if c in "*?[" else c for c in prefix)
        return Sql(f"{expr.text} GLOB ?", (*expr.params, escaped + "*"))

    def indexed_words(self, words: Sequence[str], prefix: bool) -> Sql | None:
        found = lookup_words(words, prefix)
        if not found:
            return None
        match = " AND ".join(f'"{w}"' + (" *" if starred else "") for w, starred in found)
        return Sql("seq IN (SELECT rowid FROM audit_fts WHERE audit_fts MATCH ?)", (match,))

    def code_point_order(self, expr: str) -> str:
        return expr  # BINARY, the default collation, compares UTF-8 bytes: code point order


class PostgresBackend:
    """jsonb path operators, LIKE for prefixes, a GIN index over the words of search_text."""

    _DOC = "CAST(record AS jsonb)"
    _PATH = "CAST(? AS text[])"

    def json_text(self, path: Sequence[str]) -> Sql:
        p = list(path)
        return Sql(
            f"CASE WHEN jsonb_typeof({self._DOC} #> {self._PATH}) IN ('string', 'number', 'boolean') "
            f"THEN {self._DOC} #>> {self._PATH} END",
            (p, p),
        )

    def json_number_compare(self, path: Sequence[str], op: str, number: float) -> Sql:
        p = list(path)
        v = f"{self._DOC} #>> {self._PATH}"
        found = _repeated(
            f"CASE jsonb_typeof({self._DOC} #> {self._PATH}) WHEN 'number' THEN CAST({v} AS numeric) "
            f"WHEN 'string' THEN CASE WHEN {v} ~ '^-{{0,1}}[0-9]{{1,15}}$' THEN CAST({v} AS numeric) END END",
            p,
        )
        # Both sides numeric: a JSON number beyond double precision compares instead of overflowing.
        return Sql(f"{found.text} {op} CAST(? AS numeric)", (*found.params, number))

    def json_present(self, path: Sequence[str]) -> Sql:
        return Sql(f"COALESCE(jsonb_typeof({self._DOC} #> {self._PATH}), 'null') <> 'null'", (list(path),))

    def prefix(self, expr: Sql, prefix: str) -> Sql:
        return Sql(f"{expr.text} LIKE ? ESCAPE '\\'", (*expr.params, like_escape(prefix) + "%"))

    def indexed_words(self, words: Sequence[str], prefix: bool) -> Sql | None:
        found = lookup_words(words, prefix)
        if not found:
            return None
        query = " & ".join(f"'{w}'" + (":*" if starred else "") for w, starred in found)
        return Sql(f"{PG_WORDS} @@ CAST(? AS tsquery)", (query,))

    def code_point_order(self, expr: str) -> str:
        return f'{expr} COLLATE "C"'


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern with ESCAPE '\\': every character stands for itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _repeated(text: str, param: Any) -> Sql:
    """SQL whose every placeholder takes the same value (the JSON path, read more than once)."""
    return Sql(text, (param,) * text.count("?"))


def _sqlite_path(path: Sequence[str]) -> str:
    # Keys are identifiers (fields.resolve), so the quotes never need escaping.
    return "$" + "".join(f'."{key}"' for key in path)


BACKENDS: dict[str, Backend] = {"sqlite": SqliteBackend(), "postgresql": PostgresBackend()}
