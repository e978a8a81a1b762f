"""Huawei REST requests: the route table's entries, and typed access to path, query and JSON body fields.

The SDK sends JSON bodies with native types (ints, booleans, lists) and every query value as a
string (WIRE.md §8.1). Every error names the field and never repeats a body value.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from vigil.dialects.huawei.errors import MalformedBody
from vigil.errors import InvalidArgument, MissingParameter
from vigil.http.calls import Operation

T = TypeVar("T")

_JSON_NAMES: dict[type, str] = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}


@dataclass(frozen=True, slots=True)
class Route:
    """One operation at a method and a path template relative to ``/v1/{project_id}/``."""

    method: str
    template: str
    operation: Operation
    status: int = 200
    """204 for deletes, which answer with an empty body."""

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.template.split("/"))

    def match(self, method: str, segments: tuple[str, ...]) -> dict[str, str] | None:
        """The path parameters when this route serves ``method`` on these (decoded) segments."""
        if method != self.method or len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, segment in zip(self.segments, segments, strict=True):
            if pattern.startswith("{"):
                if not segment:
                    return None
                params[pattern[1:-1]] = segment
            elif pattern != segment:
                return None
        return params


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object a request carries ({} for none). Raises MalformedBody saying where it broke."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedBody("the request body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise MalformedBody("the request body is nested too deeply") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"the request body must be a JSON object, not {_json_type(value)}")
    return value


class Fields:
    """One request's path parameters, query parameters and JSON body fields."""

    __slots__ = ("body", "path", "query")

    def __init__(self, path: Mapping[str, str], query: Mapping[str, str], body: Mapping[str, Any]) -> None:
        self.path = dict(path)
        self.query = dict(query)
        self.body = dict(body)

    def path_param(self, name: builtins.str) -> builtins.str:
        return self.path[name]

    def query_str(self, name: builtins.str, *, max_len: builtins.int = 256) -> builtins.str | None:
        """A query parameter; empty counts as absent (the SDK sends empty strings as they are)."""
        value = self.query.get(name)
        if not value:
            return None
        if len(value) > max_len:
            raise InvalidArgument(f"query parameter {name} is too long: at most {max_len} characters")
        return value

    def query_int(
        self, name: builtins.str, default: builtins.int, *, lo: builtins.int, hi: builtins.int
    ) -> builtins.int:
        text = self.query_str(name, max_len=20)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            raise InvalidArgument(f"query parameter {name} must be an integer, got {text!r}") from None
        return _in_range(name, value, lo, hi)

    def has(self, name: builtins.str) -> builtins.bool:
        """True when the body carries the field with a non-null value."""
        return self.body.get(name) is not None

    def str(
        self, name: builtins.str, default: builtins.str | None = None, *, max_len: builtins.int = 65_536
    ) -> builtins.str | None:
        value = self._typed(name, str)
        if value is None or value == "":
            return default
        if len(value) > max_len:
            raise InvalidArgument(f"{name} is too long: at most {max_len} characters")
        return value

    def required(self, name: builtins.str, *, max_len: builtins.int = 65_536) -> builtins.str:
        value = self.str(name, max_len=max_len)
        if value is None:
            raise MissingParameter(f"{name} is mandatory for this operation")
        return value

    def int(self, name: builtins.str, *, lo: builtins.int, hi: builtins.int) -> builtins.int | None:
        value = self._typed(name, int)
        return None if value is None else _in_range(name, value, lo, hi)

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self._typed(name, bool)
        return default if value is None else value

    def str_list(
        self, name: builtins.str, *, max_items: builtins.int, max_len: builtins.int = 64
    ) -> list[builtins.str] | None:
        value = self._typed(name, list)
        if value is None:
            return None
        if len(value) > max_items:
            raise InvalidArgument(f"{name} has {len(value)} entries; at most {max_items} are allowed")
        for item in value:
            if not isinstance(item, str) or not item or len(item) > max_len:
                raise InvalidArgument(f"{name} must be a list of strings of 1-{max_len} characters")
        return list(value)

    def _typed(self, name: builtins.str, kind: type[T]) -> T | None:
        value = self.body.get(name)
        if value is None:
            return None
        # bool is an int in Python, but true is not a number on the wire
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidArgument(f"{name} must be {_JSON_NAMES[kind]}, not {_json_type(value)}")
        return value


def _in_range(name: str, value: int, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise InvalidArgument(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"
