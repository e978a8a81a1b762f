"""Quota thresholds (pure): which 70 % / 90 % crossings fire, once per crossing, re-armed below.

An armed threshold fires when usage reaches it and is then disarmed; it is armed again only
when usage falls back below it. Creating past 100 % is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from vigil.errors import QuotaExceeded

THRESHOLDS = (70, 90)
FULL = 100
"""The log store's extra threshold: full, so its data-plane records stop or its calls are refused."""


class Quota(StrEnum):
    KEYS = "keys"
    SECRETS = "secrets"
    ACCESS_MANAGEMENT = "access_management"
    LOG = "log"  # bytes of audit records in the instance's log store


def thresholds(quota: Quota) -> tuple[int, ...]:
    """The percentages whose crossing raises an event: 70 and 90, and for the log store also 100."""
    return (*THRESHOLDS, FULL) if quota is Quota.LOG else THRESHOLDS


@dataclass(frozen=True, slots=True)
class Crossing:
    threshold: int
    usage: int
    limit: int


def check_room(quota: Quota, usage: int, limit: int, adding: int = 1) -> None:
    """Raises QuotaExceeded if ``adding`` more would pass the instance's limit."""
    if usage + adding > limit:
        raise QuotaExceeded(
            f"the instance's {quota.value.replace('_', ' ')} quota is full ({usage} of {limit} used); "
            "delete some or raise the quota"
        )


def crossings(
    usage: int, limit: int, armed: Mapping[int, bool], levels: tuple[int, ...] = THRESHOLDS
) -> tuple[list[Crossing], dict[int, bool]]:
    """The thresholds (of ``levels``) that fire now, and the new arm state of each."""
    fired: list[Crossing] = []
    state: dict[int, bool] = {}
    for threshold in levels:
        reached = usage * 100 >= threshold * limit
        was_armed = armed.get(threshold, True)
        if reached and was_armed:
            fired.append(Crossing(threshold, usage, limit))
        state[threshold] = not reached
    return fired, state
