"""Validation of system events that other products publish (e.g. Kafka), against the catalog.

Stray whitespace (seed 003's ``" WARN"``) is trimmed; anything else that does not match the
catalog is refused with a message naming the event's position and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vigil.errors import InvalidArgument
from vigil.events.catalog import CATALOG, kafka
from vigil.events.model import EventDraft

ContentRules = Callable[[str, Mapping[str, Any]], None]
"""A product's own check of an event's content (raises InvalidArgument naming the field)."""

_CONTENT_RULES: dict[str, ContentRules] = {"kafka": kafka.validate_content}


def _text(raw: Mapping[str, Any], key: str, index: int, *, required: bool = True) -> str:
    value = raw.get(key)
    if type(value) is str and value and not value[0].isspace() and not value[-1].isspace():
        return value  # the common case, decided without a copy
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidArgument(f"event {index}: {key} is missing")
        return ""
    if not isinstance(value, (str, int)):
        raise InvalidArgument(f"event {index}: {key} must be a string")
    return str(value).strip()


def validate_payloads(product: str, raws: Sequence[object], *, drill: bool = False) -> list[EventDraft]:
    """Published events, checked and normalised, in order, as drafts to raise (their source
    "ingest", or "drill" for a drill). Raises InvalidArgument naming the first event (by its
    position, from 1) and field that is wrong."""
    wanted = product.strip().lower()
    content_rules = _CONTENT_RULES.get(wanted)
    source = "drill" if drill else "ingest"
    return [
        _draft(wanted, product, content_rules, raw, index, drill, source)
        for index, raw in enumerate(raws, start=1)
    ]


def _draft(
    wanted: str,
    product: str,
    content_rules: ContentRules | None,
    raw: object,
    index: int,
    drill: bool,
    source: str,
) -> EventDraft:
    if not isinstance(raw, Mapping):
        raise InvalidArgument(f"event {index} must be a JSON object")
    name = _text(raw, "name", index)
    spec = CATALOG.get(name)
    if spec is None or spec.product.lower() != wanted:
        raise InvalidArgument(f"event {index}: {name!r} is not a {product} event of the catalog")
    declared = _text(raw, "product", index, required=False)
    if declared and declared.lower() != wanted:
        raise InvalidArgument(f"event {index}: product {declared!r} does not match {spec.product}")
    catalog_level = spec.level.value
    level = _text(raw, "level", index, required=False).upper() or catalog_level
    if level != catalog_level:
        raise InvalidArgument(f"event {index}: level {level} is not the catalog's {catalog_level} for {name}")
    content = raw.get("content")  # raising the draft copies it: nothing the publisher holds is kept
    if not isinstance(content, Mapping):
        raise InvalidArgument(f"event {index}: content must be a JSON object")
    missing = [f for f in spec.content_fields if f not in content]
    if missing:
        raise InvalidArgument(f"event {index}: content of {name} lacks {', '.join(missing)}")
    if content_rules is not None:
        try:
            content_rules(name, content)
        except InvalidArgument as exc:
            raise InvalidArgument(f"event {index}: {exc.message}") from None
    return EventDraft(
        name,
        _text(raw, "resourceId", index),
        _text(raw, "instanceName", index, required=False),
        content,
        _text(raw, "status", index, required=False) or spec.status,
        _text(raw, "groupId", index, required=False) or "0",
        drill,
        source,
        level,
    )
