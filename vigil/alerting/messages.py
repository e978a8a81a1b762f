"""What a notification says: its one-line subject and its text for people (email, chat)."""

from __future__ import annotations

import json
from typing import Any


def subject(payload: dict[str, Any]) -> str:
    if payload.get("merged"):
        events = payload.get("events") or [{}]
        first = events[0]
        return f"[{first.get('level', '')}] {payload.get('count')} × {first.get('name', '')} ({payload.get('groupKey')})"
    drill = " (drill)" if payload.get("drill") else ""
    level = payload.get("level") or "CUSTOM"
    return f"[{level}] {payload.get('name', '')} {payload.get('resourceId', '')}{drill}".strip()


def text(payload: dict[str, Any]) -> str:
    lines = [subject(payload), ""]
    if payload.get("merged"):
        lines.append(f"{payload.get('count')} events merged by {payload.get('source')}:")
        for e in payload.get("events") or []:
            lines.append(f"- {e.get('name', '')} {e.get('resourceId', '')} at {e.get('time', '')}")
        return "\n".join(lines)
    for key in ("product", "level", "name", "status", "resourceId", "regionId", "time"):
        if payload.get(key) not in (None, ""):
            lines.append(f"{key}: {payload[key]}")
    content = payload.get("content")
    if content:
        lines += ["", "content:", json.dumps(content, ensure_ascii=False, indent=2)]
    return "\n".join(lines)
