"""Every system event Vigil knows, declared once per product (kms.py, kafka.py, csms.py)."""

from __future__ import annotations

from vigil.events.catalog.spec import EventSpec, Level

__all__ = ["CATALOG", "EventSpec", "Level", "by_name", "products"]


def _load() -> dict[str, EventSpec]:
    from vigil.events.catalog import csms, kafka, kms

    found: dict[str, EventSpec] = {}
    for module in (kms, kafka, csms):
        for spec in module.EVENTS:
            if spec.name in found:
                raise ValueError(f"event {spec.name} is declared twice")
            found[spec.name] = spec
    return found


CATALOG: dict[str, EventSpec] = _load()


def by_name(name: str) -> EventSpec | None:
    return CATALOG.get(name)


def products() -> list[str]:
    return sorted({spec.product for spec in CATALOG.values()})
