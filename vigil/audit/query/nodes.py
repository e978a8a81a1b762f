"""A parsed audit query (pure): immutable condition nodes and the optional stats stage.

The nodes say what matches, not how: ``to_sql`` turns them into one engine's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    TEXT = "text"  # a text column of audit_records
    TIME = "time"  # event.eventTime: the event_time_ms column
    JSON = "json"  # a path into the stored event JSON


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # as written, e.g. "event.requestParameters.KeyId"
    kind: FieldKind
    column: str = ""  # TEXT and TIME
    path: tuple[str, ...] = ()  # JSON: the keys below the event


@dataclass(frozen=True, slots=True)
class MatchAll:
    """``*``: every record."""


@dataclass(frozen=True, slots=True)
class Term:
    """A bare term or phrase: these words, in this order, somewhere in the record's search text;
    with ``prefix`` the last word may go on."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Equals:
    field: Field
    value: str


@dataclass(frozen=True, slots=True)
class Prefix:
    field: Field
    prefix: str


@dataclass(frozen=True, slots=True)
class Present:
    """``field: *``: the field has a value (a non-empty column; a JSON value other than null)."""

    field: Field


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The event time is in [start_ms, end_ms); None leaves that side open."""

    start_ms: int | None
    end_ms: int | None


class CompareOp(StrEnum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True, slots=True)
class Compare:
    """A number inside the event (a JSON number, or a string of up to 15 digits) against a literal."""

    field: Field
    op: CompareOp
    number: float


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Condition, ...]


Condition = MatchAll | Term | Equals | Prefix | Present | TimeRange | Compare | Not | And | Or


@dataclass(frozen=True, slots=True)
class Stats:
    """``| stats count() [by field, …]``: the number of matching records per distinct value."""

    by: tuple[Field, ...] = ()


@dataclass(frozen=True, slots=True)
class Statement:
    condition: Condition
    stats: Stats | None = None
