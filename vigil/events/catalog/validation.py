"""Checking an event's level and content against the catalog (pure; shared by every product).

A content schema is a tuple of ``Field``s; objects are closed (an unknown key is refused) unless
a field leaves its keys open. Every error names the field by its path, e.g.
``content.riskData[0].reportType``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from vigil.errors import InvalidArgument
from vigil.events.catalog.spec import EventSpec, Level


class Kind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ARRAY = "array"
    OBJECT = "object"


@dataclass(frozen=True, slots=True)
class Field:
    """One content field: its JSON kind, the values it may take, and what it nests."""

    name: str
    kind: Kind
    choices: tuple[object, ...] = ()
    nested: tuple[Field, ...] | None = None
    """OBJECT: the object's fields; ARRAY: the fields of each item. None leaves them open."""


class InvalidEventContent(InvalidArgument):
    """An event's content does not match its catalog entry; ``field`` is the path at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field


_PYTHON_KINDS: dict[Kind, tuple[type, ...]] = {
    Kind.STRING: (str,),
    Kind.NUMBER: (int, float),
    Kind.BOOLEAN: (bool,),
    Kind.ARRAY: (list, tuple),
    Kind.OBJECT: (Mapping,),
}


def parse_level(text: str) -> Level:
    """The level a publisher wrote, with stray whitespace and case forgiven (" WARN" → WARN).

    Raises InvalidArgument for anything that is not CRITICAL, WARN or INFO.
    """
    try:
        return Level(text.strip().upper())
    except ValueError:
        raise InvalidArgument(f"level {text!r} is not one of CRITICAL, WARN, INFO") from None


def check_object(path: str, value: object, fields: Sequence[Field]) -> None:
    """Check a closed JSON object against its fields. Raises InvalidEventContent naming the field.

    Content that conforms is confirmed by ``_conforms`` without building a single path; only
    content that does not is walked again here, to name the field at fault."""
    if not _conforms(value, fields):
        walk_object(path, value, fields)


def walk_object(path: str, value: object, fields: Sequence[Field]) -> None:
    """``check_object`` without the fast path: walks every field, building its path."""
    if not isinstance(value, Mapping):
        raise InvalidEventContent(path, "must be a JSON object")
    known = {f.name for f in fields}
    for key in value:
        if key not in known:
            raise InvalidEventContent(f"{path}.{key}", "is not a field of this event")
    for f in fields:
        if f.name not in value:
            raise InvalidEventContent(f"{path}.{f.name}", "is missing")
        check_value(f"{path}.{f.name}", value[f.name], f)


def check_value(path: str, value: object, f: Field) -> None:
    """Check one value's kind, choices and nested fields. Raises InvalidEventContent."""
    is_bool = isinstance(value, bool)
    if not isinstance(value, _PYTHON_KINDS[f.kind]) or (is_bool and f.kind is Kind.NUMBER):
        raise InvalidEventContent(path, f"must be a {f.kind.value}, not {_kind_of(value)}")
    if f.choices and value not in f.choices:
        allowed = ", ".join(str(c) for c in f.choices)
        raise InvalidEventContent(path, f"is {value!r}; expected one of: {allowed}")
    if f.nested is None:
        return
    if f.kind is Kind.OBJECT:
        check_object(path, value, f.nested)
    elif f.kind is Kind.ARRAY and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_object(f"{path}[{index}]", item, f.nested)


_FAST_KINDS: dict[Kind, tuple[type, ...]] = {**_PYTHON_KINDS, Kind.OBJECT: (dict,)}
_Check = tuple[str, tuple[type, ...], bool, tuple[object, ...], "_Plan | None", bool]
"""name, accepted types, whether a bool is refused (numbers), choices, nested plan, is an array."""


@dataclass(frozen=True, slots=True)
class _Plan:
    keys: frozenset[str]
    checks: tuple[_Check, ...]


_PLANS: dict[int, tuple[Sequence[Field], _Plan]] = {}


def _plan(fields: Sequence[Field]) -> _Plan:
    known = _PLANS.get(id(fields))
    if known is not None and known[0] is fields:
        return known[1]
    checks = tuple(
        (
            f.name,
            _FAST_KINDS[f.kind],
            f.kind is Kind.NUMBER,
            f.choices,
            None if f.nested is None else _plan(f.nested),
            f.kind is Kind.ARRAY,
        )
        for f in fields
    )
    plan = _Plan(frozenset(f.name for f in fields), checks)
    _PLANS[id(fields)] = (fields, plan)  # the fields are kept, so their id is never reused
    return plan


def _conforms(value: object, fields: Sequence[Field]) -> bool:
    """Whether ``check_object`` would pass, for the JSON that ingest parses (dicts and lists);
    False when in doubt, which only sends the value down the slow, path-naming walk."""
    return _conforms_plan(value, _plan(fields))


def _conforms_plan(value: object, plan: _Plan) -> bool:
    if type(value) is not dict or value.keys() != plan.keys:
        return False
    for name, types, refuses_bool, choices, nested, is_array in plan.checks:
        item = value[name]
        if not isinstance(item, types) or (refuses_bool and type(item) is bool):
            return False
        if choices and item not in choices:
            return False
        if nested is not None:
            elements = cast("Iterable[object]", item) if is_array else (item,)
            if not all(_conforms_plan(element, nested) for element in elements):
                return False
    return True


def check_content(spec: EventSpec, content: object) -> None:
    """Check that content carries exactly the event id and the catalog's content fields.

    Raises InvalidEventContent naming the missing or unknown field.
    """
    expected = [*([spec.event_id_key] if spec.event_id_key else []), *spec.content_fields]
    if not isinstance(content, Mapping):
        raise InvalidEventContent("content", "must be a JSON object")
    for key in content:
        if key not in expected:
            raise InvalidEventContent(f"content.{key}", f"is not a field of {spec.name}")
    for key in expected:
        if key not in content:
            raise InvalidEventContent(f"content.{key}", "is missing")


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    for kind in (Kind.BOOLEAN, Kind.NUMBER, Kind.STRING, Kind.ARRAY, Kind.OBJECT):
        if isinstance(value, _PYTHON_KINDS[kind]):
            return kind.value
    return type(value).__name__
