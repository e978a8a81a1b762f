"""Audit query to SQL: a parsed Statement becomes a WHERE condition over audit_records (and the
GROUP BY expressions of its stats stage) for one engine, every value a bound parameter.

Each leaf yields a condition that is never NULL, so NOT means "does not match" even where the
event lacks the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil.audit.query.backends import BACKENDS, Backend, Sql, like_escape
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
    Term,
    TimeRange,
)
from vigil.audit.query.parser import parse

PARTIAL_INDEXES = {"error_code": "error_code <> ''"}
"""Columns indexed only where this holds (most calls succeed); a condition that implies it repeats it
word for word, which is what lets SQLite and PostgreSQL use the index."""


@dataclass(frozen=True, slots=True)
class CompiledStats:
    names: tuple[str, ...]  # the fields after ``by`` as written
    columns: tuple[Sql, ...]  # one expression per field


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """An audit query for one engine: ``where`` holds over the audit_records rows that match."""

    text: str
    dialect: str
    where: str
    params: tuple[Any, ...]
    stats: CompiledStats | None = None


def compile_query(text: str, dialect: str) -> CompiledQuery:
    """Parse ``text`` and render it for ``dialect`` ("sqlite" or "postgresql"). Raises QueryError."""
    return to_sql(parse(text), dialect, text)


def to_sql(statement: Statement, dialect: str, text: str = "") -> CompiledQuery:
    """Render a parsed statement for ``dialect``."""
    backend = BACKENDS[dialect]
    found = _condition(backend, statement.condition)
    where = found or Sql("1 = 1")
    stats = None
    if statement.stats is not None:
        by = statement.stats.by
        stats = CompiledStats(tuple(f.name for f in by), tuple(_value(backend, f) for f in by))
    return CompiledQuery(text, dialect, where.text, where.params, stats)


def _condition(backend: Backend, node: Condition) -> Sql | None:
    """The SQL for ``node``; None stands for "every record"."""
    match node:
        case MatchAll():
            return None
        case And(operands):
            parts = [p for p in (_condition(backend, o) for o in operands) if p is not None]
            return _joined(" AND ", parts) if parts else None
        case Or(operands):
            alternatives = [_condition(backend, o) for o in operands]
            found = [a for a in alternatives if a is not None]
            return _joined(" OR ", found) if len(found) == len(alternatives) else None
        case Not(operand):
            inner = _condition(backend, operand)
            return Sql("1 = 0") if inner is None else Sql(f"NOT ({inner.text})", inner.params)
        case Term(words, prefix):
            return _term(backend, words, prefix)
        case TimeRange(start, end):
            return _time_range(start, end)
        case Equals(field, value):
            return _equals(backend, field, value)
        case Prefix(field, prefix):
            return _prefix(backend, field, prefix)
        case Present(field):
            return _present(backend, field)
        case Compare(field, op, number):
            return _compare(backend, field, op, number)


def _joined(operator: str, parts: list[Sql]) -> Sql:
    if len(parts) == 1:
        return parts[0]
    return Sql("(" + operator.join(p.text for p in parts) + ")", tuple(v for p in parts for v in p.params))


def _term(backend: Backend, words: tuple[str, ...], prefix: bool) -> Sql:
    pattern = "% " + like_escape(" ".join(words)) + ("%" if prefix else " %")
    check = Sql("search_text LIKE ? ESCAPE '\\'", (pattern,))
    indexed = backend.indexed_words(words, prefix)
    return check if indexed is None else _joined(" AND ", [indexed, check])


def _time_range(start: int | None, end: int | None) -> Sql | None:
    parts = []
    if start is not None:
        parts.append(Sql("event_time_ms >= ?", (start,)))
    if end is not None:
        parts.append(Sql("event_time_ms < ?", (end,)))
    return _joined(" AND ", parts) if parts else None


def _equals(backend: Backend, field: Field, value: str) -> Sql:
    if field.kind is FieldKind.JSON:
        found = backend.json_text(field.path)
        return Sql(f"COALESCE({found.text} = ?, FALSE)", (*found.params, value))
    return _with_partial(field.column, Sql(f"{field.column} = ?", (value,)), value)


def _prefix(backend: Backend, field: Field, prefix: str) -> Sql:
    if field.kind is FieldKind.JSON:
        found = backend.prefix(backend.json_text(field.path), prefix)
        return Sql(f"COALESCE({found.text}, FALSE)", found.params)
    return _with_partial(field.column, backend.prefix(Sql(field.column), prefix), prefix)


def _present(backend: Backend, field: Field) -> Sql | None:
    if field.kind is FieldKind.JSON:
        return backend.json_present(field.path)
    if field.kind is FieldKind.TIME:
        return None  # every record has a time
    # "> ''" is "<> ''" (the empty string sorts first in any collation), and a range an index can
    # seek: SQLite, without statistics, otherwise reads failed calls through the time index.
    return _with_partial(field.column, Sql(f"{field.column} > ''"), "x")


def _compare(backend: Backend, field: Field, op: CompareOp, number: float) -> Sql:
    found = backend.json_number_compare(field.path, op.value, number)
    return Sql(f"COALESCE({found.text}, FALSE)", found.params)


def _with_partial(column: str, condition: Sql, value: str) -> Sql:
    """``condition`` and, when it implies it (a non-empty value), the partial index's own condition."""
    partial = PARTIAL_INDEXES.get(column)
    if partial is None or value == "":
        return condition
    return Sql(f"({condition.text} AND {partial})", condition.params)


def _value(backend: Backend, field: Field) -> Sql:
    """What a stats stage groups by: a column, or the text of a JSON value."""
    if field.kind is FieldKind.JSON:
        return backend.json_text(field.path)
    return Sql(field.column)
