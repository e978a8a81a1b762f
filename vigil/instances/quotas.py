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


class Quota(StrEnum):
    KEYS = "keys"
    SECRETS = "secrets"
    ACCESS_MANAGEMENT = "access_management"


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


def crossings(usage: int, limit: int, armed: Mapping[int, bool]) -> tuple[list[Crossing], dict[int, bool]]:
    """The thresholds that fire now, and the new arm state of every threshold."""
    fired: list[Crossing] = []
    state: dict[int, bool] = {}
    for threshold in THRESHOLDS:
        reached = usage * 100 >= threshold * limit
        was_armed = armed.get(threshold, True)
        if reached and was_armed:
            fired.append(Crossing(threshold, usage, limit))
        state[threshold] = not reached
    return fired, state
