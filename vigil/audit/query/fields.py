"""The fields an audit query names (pure): ``event.<ActionTrail key>``, mapped to a column or a JSON path."""

from __future__ import annotations

import re
from enum import StrEnum

from vigil.audit.model import EventRW, EventType, ServiceName
from vigil.audit.query.nodes import Field, FieldKind
from vigil.audit.query.tokens import QueryError, Token, snippet

MAX_PATH = 8
"""Keys after ``event.``: deeper than any ActionTrail event goes."""

COLUMNS: dict[tuple[str, ...], str] = {
    ("eventId",): "event_id",
    ("eventName",): "event_name",
    ("eventRW",): "event_rw",
    ("eventType",): "event_type",
    ("eventSource",): "event_source",
    ("serviceName",): "service_name",
    ("requestId",): "request_id",
    ("acsRegion",): "acs_region",
    ("sourceIpAddress",): "source_ip",
    ("userAgent",): "user_agent",
    ("resourceName",): "resource_name",
    ("resourceType",): "resource_type",
    ("errorCode",): "error_code",
    ("errorMessage",): "error_message",
    ("apiVersion",): "api_version",
    ("userIdentity", "type"): "identity_type",
    ("userIdentity", "principalId"): "principal_id",
    ("userIdentity", "accountId"): "account_id",
    ("userIdentity", "accessKeyId"): "access_key_id",
    ("userIdentity", "userName"): "user_name",
}
"""Fields kept in a column of their own; every other field is read from the stored event JSON."""

INDEXED = frozenset(
    {"event_id", "event_name", "service_name", "user_name", "resource_type", "resource_name", "event_rw",
     "access_key_id", "error_code"}
)  # fmt: skip
"""Columns with an index of their own (with the account and the event time), see 0009_audit.sql."""

CHOICES: dict[str, type[StrEnum]] = {
    "service_name": ServiceName,
    "event_rw": EventRW,
    "event_type": EventType,
}
"""Enumerated columns: a value matches the member it names ignoring case (``kms`` is ``Kms``)."""

TIME = ("eventTime",)
TOP_LEVEL = frozenset(
    {path[0] for path in COLUMNS}
    | {"eventTime", "eventVersion", "eventCategory", "isGlobal", "requestParameters", "responseElements"}
)
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PREFIX = "event."


def resolve(token: Token) -> Field:
    """The field a word names. Raises QueryError pointing into the word at what is wrong with it."""
    name = token.text
    if not name.startswith(_PREFIX):
        raise QueryError(
            token.pos,
            f"expected a field starting with 'event.' (such as event.serviceName), found {snippet(name)}",
        )
    keys: list[str] = []
    offset = len(_PREFIX)
    for key in name[offset:].split("."):
        if not _KEY.fullmatch(key):
            raise QueryError(
                token.pos + offset,
                f"expected a key (a letter or '_', then letters, digits or '_'), found {snippet(key)}",
            )
        if len(keys) == MAX_PATH:
            raise QueryError(
                token.pos + offset, f"expected at most {MAX_PATH} keys after 'event.', found more"
            )
        keys.append(key)
        offset += len(key) + 1
    return _field(token, name, tuple(keys))


def _field(token: Token, name: str, keys: tuple[str, ...]) -> Field:
    if keys[0] not in TOP_LEVEL:
        raise QueryError(
            token.pos + len(_PREFIX),
            f"expected a key of an ActionTrail event, found {snippet(keys[0])}{_hint(keys[0])}",
        )
    if keys == TIME:
        return Field(name, FieldKind.TIME, column="event_time_ms")
    if keys in COLUMNS:
        return Field(name, FieldKind.TEXT, column=COLUMNS[keys])
    return Field(name, FieldKind.JSON, path=keys)


def _hint(key: str) -> str:
    for known in sorted(TOP_LEVEL):
        if known.lower() == key.lower():
            return f" (did you mean event.{known}?)"
    return ""
