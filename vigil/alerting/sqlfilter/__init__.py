"""SQLFilter: the SQL-like condition a CloudMonitor event rule applies to a system event's content.

``parse(text)`` compiles it once into an immutable Filter; ``Filter.evaluate(content)`` is pure.
"""

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
from vigil.alerting.sqlfilter.parser import MAX_DEPTH, MAX_LENGTH, parse
from vigil.alerting.sqlfilter.tokens import SqlFilterError

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "And",
    "CompareOp",
    "Comparison",
    "Contains",
    "FieldPath",
    "Filter",
    "In",
    "IsNull",
    "Like",
    "Not",
    "Or",
    "SqlFilterError",
    "Value",
    "parse",
]
