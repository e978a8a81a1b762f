"""A compiled SQLFilter (pure): immutable condition nodes, each evaluating itself against event content.

A missing or null field makes every predicate false except ``is null``; ``not`` simply negates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Value = str | int | float | bool | None

# Content strings that read as a number compare numerically with a number; the same spelling as a literal.
_NUMERIC = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_TRUTH = {"true": True, "false": False}


class CompareOp(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A dotted path into the content's nested objects, one name per step."""

    names: tuple[str, ...]

    def resolve(self, content: Mapping[str, Any]) -> Any:
        """The value at this path, or None when a step is missing or is not an object."""
        value: Any = content
        for name in self.names:
            if not isinstance(value, Mapping) or name not in value:
                return None
            value = value[name]
        return value


@dataclass(frozen=True, slots=True)
class Comparison:
    field: FieldPath
    op: CompareOp
    value: Value

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        found = self.field.resolve(content)
        if found is None or self.value is None:
            return False
        if self.op is CompareOp.NE:
            return not any(_order(item, self.value) == 0 for item in _items(found))
        return any(_holds(self.op, _order(item, self.value)) for item in _items(found))


@dataclass(frozen=True, slots=True)
class In:
    field: FieldPath
    values: tuple[Value, ...]
    negated: bool = False

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        found = self.field.resolve(content)
        if found is None:
            return False
        hit = any(_order(item, value) == 0 for item in _items(found) for value in self.values)
        return hit != self.negated


@dataclass(frozen=True, slots=True)
class Like:
    """``%`` stands for any run of characters and ``_`` for exactly one; everything else for itself."""

    field: FieldPath
    pattern: str
    negated: bool = False

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        found = self.field.resolve(content)
        if found is None:
            return False
        return any(like(text, self.pattern) for text in _texts(found)) != self.negated


@dataclass(frozen=True, slots=True)
class Contains:
    field: FieldPath
    needle: str
    negated: bool = False

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        found = self.field.resolve(content)
        if found is None:
            return False
        return any(self.needle in text for text in _texts(found)) != self.negated


@dataclass(frozen=True, slots=True)
class IsNull:
    field: FieldPath
    negated: bool = False

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        return (self.field.resolve(content) is None) != self.negated


@dataclass(frozen=True, slots=True)
class Not:
    operand: Filter

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        return not self.operand.evaluate(content)


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Filter, ...]

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        return all(operand.evaluate(content) for operand in self.operands)


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Filter, ...]

    def evaluate(self, content: Mapping[str, Any]) -> bool:
        return any(operand.evaluate(content) for operand in self.operands)


Filter = Comparison | In | Like | Contains | IsNull | Not | And | Or


def like(text: str, pattern: str) -> bool:
    """SQL LIKE without an escape character, in O(len(text) * len(pattern)) whatever the pattern.

    A regular expression would backtrack exponentially on patterns such as ``%a%a%a%b``.
    """
    t = p = 0
    star, resume = -1, 0  # the last % seen, and where in the text it is now assumed to end
    while t < len(text):
        if p < len(pattern) and pattern[p] == "%":
            star, resume, p = p, t, p + 1
        elif p < len(pattern) and pattern[p] in ("_", text[t]):
            t, p = t + 1, p + 1
        elif star >= 0:
            resume += 1
            t, p = resume, star + 1
        else:
            return False
    return pattern[p:].strip("%") == ""


def _items(found: Any) -> tuple[Any, ...]:
    """A list in the content is several values, any of which may match; anything else is one value."""
    return tuple(found) if isinstance(found, list | tuple) else (found,)


def _texts(found: Any) -> list[str]:
    return [text for item in _items(found) if (text := _as_text(item)) is not None]


def _holds(op: CompareOp, order: int | None) -> bool:
    if order is None:
        return False
    match op:
        case CompareOp.EQ:
            return order == 0
        case CompareOp.NE:
            return order != 0
        case CompareOp.LT:
            return order < 0
        case CompareOp.LE:
            return order <= 0
        case CompareOp.GT:
            return order > 0
        case CompareOp.GE:
            return order >= 0


def _order(found: Any, value: Value) -> int | None:
    """-1, 0 or 1 comparing a content value with a literal, or None where the two cannot be compared.

    Booleans compare only as booleans; a number against a number or a numeric string numerically;
    anything else by its text, code point by code point.
    """
    if found is None or value is None:
        return None
    if isinstance(found, bool) or isinstance(value, bool):
        return _sign(_as_bool(found), _as_bool(value))
    if isinstance(found, int | float) or isinstance(value, int | float):
        left, right = _as_number(found), _as_number(value)
        if left is not None and right is not None:
            return _sign(left, right)
    return _sign(_as_text(found), _as_text(value))


def _sign(left: Any, right: Any) -> int | None:
    if left is None or right is None:
        return None
    if left < right:
        return -1
    if left > right:
        return 1
    return 0 if left == right else None  # NaN is neither


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return _TRUTH.get(value.lower()) if isinstance(value, str) else None


def _as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMERIC.fullmatch(value):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:  # more digits than int() will read
            return None
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        try:
            return str(value)
        except ValueError:  # more digits than str() will write
            return None
    return None
