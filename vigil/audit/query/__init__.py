"""The audit trail's advanced query language: terms, phrases, ``event.<key>: value`` fields, wildcards,
AND/OR/NOT, comparisons and ``| stats count() by …``, compiled to SQL for SQLite or PostgreSQL.

``compile_query(text, dialect)`` parses and renders; the store runs the result (docs/audit-query.md).
"""

from vigil.audit.query.backends import Sql
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
from vigil.audit.query.parser import MAX_CONDITIONS, MAX_DEPTH, MAX_GROUP_FIELDS, MAX_LENGTH, parse
from vigil.audit.query.to_sql import CompiledQuery, CompiledStats, compile_query, to_sql
from vigil.audit.query.tokens import QueryError

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "MAX_GROUP_FIELDS",
    "MAX_LENGTH",
    "And",
    "Compare",
    "CompareOp",
    "CompiledQuery",
    "CompiledStats",
    "Condition",
    "Equals",
    "Field",
    "FieldKind",
    "MatchAll",
    "Not",
    "Or",
    "Prefix",
    "Present",
    "QueryError",
    "Sql",
    "Statement",
    "Stats",
    "Term",
    "TimeRange",
    "compile_query",
    "parse",
    "to_sql",
]
