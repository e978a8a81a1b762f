"""Alibaba POP RPC parameters: decoding, typed access with clear errors, and un-flattening.

The SDKs send scalars as strings (booleans as ``True``/``False``), lists as ``Name.N``,
objects as ``Name.Field`` and "shrink" parameters as one JSON string (WIRE.md §1.2).
"""

from __future__ import annotations

import ast
import base64
import binascii
import builtins
import codecs
import json
import re
from typing import Any
from urllib.parse import unquote

from vigil.errors import InvalidArgument, MissingParameter

_INDEXED = re.compile(r"^(\d+)(?:\.(.+))?$")


def decode_pairs(text: str) -> list[tuple[str, str]]:
    """Form/query decoding ('+' is a space), exactly as ``parse_qsl(text, keep_blank_values=True)``.
    Raises InvalidArgument for bad UTF-8."""
    try:
        return [_pair(chunk) for chunk in text.split("&") if chunk]
    except (UnicodeDecodeError, ValueError):
        raise InvalidArgument("the request parameters are not valid UTF-8 form encoding") from None


def _pair(chunk: str) -> tuple[str, str]:
    name, _, value = chunk.partition("=")
    return _unquote_plus(name), _unquote_plus(value)


def _unquote_plus(text: str) -> str:
    """``unquote_plus(text, errors="strict")`` in C for the common case.

    urllib's unquote loops in Python over every ``%XX``, and a batch of events is one form value
    that is mostly escapes (a 60 KB body takes milliseconds). Two C decoders do it instead:

    - Quoted-printable decoding (``binascii.a2b_qp``) reads ``=XX`` as the byte XX, so with every
      ``%`` turned into ``=`` (a same-length replace, the cheapest kind) it decodes exactly the
      ``%XX`` escapes, provided the text holds no ``=``, CR or LF of its own (each means
      something else to it). Every other ``=`` it meets (a ``%`` not followed by two hex digits)
      shortens the text by less than two, so the length tells whether every ``%`` was an escape.
    - Otherwise every backslash is doubled and every ``%`` becomes ``\\x``, so the C
      ``escape_decode`` (the codec behind ``pickle``'s string escapes) turns exactly the ``%XX``
      escapes into bytes; about three times slower, as the replace lengthens the text.

    Anything both refuse (a ``%`` not followed by two hex digits) is left to urllib, which keeps
    such a ``%`` as it is.
    """
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    raw = text.encode("utf-8")
    if b"=" not in raw and b"\r" not in raw and b"\n" not in raw:
        decoded = binascii.a2b_qp(raw.replace(b"%", b"="))
        if len(raw) - len(decoded) == 2 * raw.count(b"%"):
            return decoded.decode("utf-8")
    try:
        decoded = codecs.escape_decode(raw.replace(b"\\", b"\\\\").replace(b"%", b"\\x"))[0]
    except ValueError:
        return unquote(text, errors="strict")
    return decoded.decode("utf-8")


class Params:
    """Typed access to one request's parameters; every error names the parameter."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, builtins.str]) -> None:
        self.raw = raw

    def __contains__(self, name: builtins.str) -> bool:
        return name in self.raw

    def str(
        self, name: builtins.str, default: builtins.str | None = None, *, max_len: int = 65_536
    ) -> builtins.str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if len(value) > max_len:
            raise InvalidArgument(f"{name} is too long: at most {max_len} characters")
        return value

    def required(self, name: builtins.str, *, max_len: int = 65_536) -> builtins.str:
        value = self.str(name, max_len=max_len)
        if value is None:
            raise MissingParameter(f"{name} is mandatory for this action")
        return value

    def int(
        self,
        name: builtins.str,
        default: builtins.int | None = None,
        *,
        lo: builtins.int | None = None,
        hi: builtins.int | None = None,
    ) -> builtins.int:
        text = self.str(name)
        if text is None:
            if default is None:
                raise MissingParameter(f"{name} is mandatory for this action")
            return default
        try:
            value = int(text)
        except ValueError:
            raise InvalidArgument(f"{name} must be an integer, got {text[:40]!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise InvalidArgument(f"{name} must be between {lo} and {hi}, got {value}")
        return value

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        text = self.str(name)
        if text is None:
            return default
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise InvalidArgument(f"{name} must be true or false, got {text[:40]!r}")

    def json(self, name: builtins.str) -> Any:
        """A JSON-string parameter; the legacy SDK's Python-literal dicts are accepted too."""
        text = self.str(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            pass
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise InvalidArgument(f"{name} must be valid JSON") from None

    def json_object(self, name: builtins.str) -> dict[builtins.str, Any] | None:
        value = self.json(name)
        if value is not None and not isinstance(value, dict):
            raise InvalidArgument(f"{name} must be a JSON object")
        return value

    def base64(self, name: builtins.str) -> bytes:
        text = self.required(name)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument(f"{name} must be valid base64") from None

    def list(self, name: builtins.str) -> builtins.list[builtins.str]:
        """``Name.1``, ``Name.2`` ... in index order."""
        found = self._indexed(name)
        return [v for _, v in sorted((int(k), v) for k, v in found.items() if "." not in k)]

    def objects(self, name: builtins.str) -> builtins.list[dict[builtins.str, Any]]:
        """``Name.N.Field`` (nested) as a list of dicts in index order."""
        return [v for _, v in sorted(_unflatten(self._indexed(name)).items()) if isinstance(v, dict)]

    def object(self, name: builtins.str) -> dict[builtins.str, Any]:
        """``Name.Field`` (nested) as a dict."""
        prefix = name + "."
        flat = {k[len(prefix) :]: v for k, v in self.raw.items() if k.startswith(prefix)}
        return _nest(flat)

    def _indexed(self, name: builtins.str) -> dict[builtins.str, builtins.str]:
        prefix = name + "."
        return {
            k[len(prefix) :]: v
            for k, v in self.raw.items()
            if k.startswith(prefix) and _INDEXED.match(k[len(prefix) :])
        }


def _unflatten(flat: dict[str, str]) -> dict[int, Any]:
    grouped: dict[int, dict[str, str]] = {}
    for key, value in flat.items():
        m = _INDEXED.match(key)
        if m and m.group(2):
            grouped.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return {i: _nest(fields) for i, fields in grouped.items()}


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    """{'a.b': 1, 'c.1': 2, 'c.2': 3} -> {'a': {'b': 1}, 'c': [2, 3]}."""
    out: dict[str, Any] = {}
    children: dict[str, dict[str, str]] = {}
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if rest:
            children.setdefault(head, {})[rest] = value
        else:
            out[head] = value
    for head, sub in children.items():
        nested = _nest(sub)
        if nested and all(k.isdigit() for k in nested):
            out[head] = [nested[k] for k in sorted(nested, key=int)]
        else:
            out[head] = nested
    return out
