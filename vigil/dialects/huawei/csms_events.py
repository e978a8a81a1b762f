"""Huawei Cloud CSMS secret events (subscriptions of secrets to event types) and notification records."""

from __future__ import annotations

from vigil.dialects.huawei.rest import Route

ROUTES: list[Route] = []
