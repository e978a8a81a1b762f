"""Reading what the audit trail stored, straight from ``audit_records`` after the indexer has caught up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.conftest import RunningServer


@dataclass(frozen=True, slots=True)
class Stored:
    event_name: str
    event_type: str
    instance_id: str
    size_bytes: int
    event: dict[str, Any]


def stored_records(server: RunningServer) -> list[Stored]:
    """Every record the server has journalled, indexed first, oldest first."""
    services = server.app.services
    services.audit.trail.catch_up()
    with services.db.transaction(write=False) as tx:
        rows = tx.all(
            "SELECT event_name, event_type, instance_id, size_bytes, record FROM audit_records ORDER BY seq"
        )
    return [
        Stored(
            r["event_name"], r["event_type"], r["instance_id"], int(r["size_bytes"]), json.loads(r["record"])
        )
        for r in rows
    ]


def service_events(server: RunningServer, name: str) -> list[dict[str, Any]]:
    """The ServiceEvent records of one background action, as ActionTrail events."""
    return [
        s.event for s in stored_records(server) if s.event_type == "ServiceEvent" and s.event_name == name
    ]
