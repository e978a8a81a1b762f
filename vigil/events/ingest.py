"""Validation of system events that other products publish (e.g. Kafka), against the catalog.

Stray whitespace (seed 003's ``" WARN"``) is trimmed; anything else that does not match the
catalog is refused with a message naming the event's position and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigil.errors import InvalidArgument
from vigil.events.catalog import CATALOG


@dataclass(frozen=True, slots=True)
class Payload:
    name: str
    level: str
    status: str
    resource_id: str
    instance_name: str
    group_id: str
    content: dict[str, Any]


def _text(raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidArgument(f"{where}: {key} is missing")
        return ""
    if not isinstance(value, (str, int)):
        raise InvalidArgument(f"{where}: {key} must be a string")
    return str(value).strip()


def validate_payload(product: str, raw: Mapping[str, Any], index: int) -> Payload:
    """One published event, checked and normalised. Raises InvalidArgument."""
    where = f"event {index}"
    if not isinstance(raw, Mapping):
        raise InvalidArgument(f"{where} must be a JSON object")
    name = _text(raw, "name", where)
    spec = CATALOG.get(name)
    if spec is None or spec.product.lower() != product.strip().lower():
        raise InvalidArgument(f"{where}: {name!r} is not a {product} event of the catalog")
    declared = _text(raw, "product", where, required=False)
    if declared and declared.lower() != spec.product.lower():
        raise InvalidArgument(f"{where}: product {declared!r} does not match {spec.product}")
    level = _text(raw, "level", where, required=False).upper() or spec.level.value
    if level != spec.level.value:
        raise InvalidArgument(f"{where}: level {level} is not the catalog's {spec.level.value} for {name}")
    content = raw.get("content")
    if not isinstance(content, Mapping):
        raise InvalidArgument(f"{where}: content must be a JSON object")
    missing = [f for f in spec.content_fields if f not in content]
    if missing:
        raise InvalidArgument(f"{where}: content of {name} lacks {', '.join(missing)}")
    _product_rules(spec.product, name, dict(content), where)
    return Payload(
        name,
        level,
        _text(raw, "status", where, required=False) or spec.status,
        _text(raw, "resourceId", where),
        _text(raw, "instanceName", where, required=False),
        _text(raw, "groupId", where, required=False) or "0",
        dict(content),
    )


def _product_rules(product: str, name: str, content: dict[str, Any], where: str) -> None:
    if product.lower() == "kafka":
        from vigil.events.catalog import kafka

        try:
            kafka.validate_content(name, content)
        except InvalidArgument as exc:
            raise InvalidArgument(f"{where}: {exc.message}") from None
