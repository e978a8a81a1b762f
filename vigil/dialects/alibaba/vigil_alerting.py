"""Vigil's own alerting operations (API version 2026-11-01): subscriptions, silences, notifications,
delivery records, dry runs and test notifications."""

from __future__ import annotations

from vigil.http.calls import Operation

OPERATIONS: list[Operation] = []
