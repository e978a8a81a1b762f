"""Pure rules for stage labels, deletion windows and rotation intervals of secrets.

A secret's stages are a map from label to version id; each label names at most one version.
Moving ``ACSCurrent`` demotes the old current version to ``ACSPrevious``, as Alibaba KMS does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument

CURRENT = "ACSCurrent"
PREVIOUS = "ACSPrevious"
PENDING = "ACSPending"

MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS, DEFAULT_RECOVERY_DAYS = 7, 30, 30
MIN_ROTATION_S, MAX_ROTATION_S = 6 * 3600, 365 * 86_400
MAX_VERSIONS = 100

_STAGE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_INTERVAL = re.compile(r"^(\d{1,12})([dhms])$")
_UNIT_S = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}

Stages = dict[str, str]


def check_stage(stage: str) -> str:
    if not _STAGE.match(stage):
        raise InvalidArgument(
            f"VersionStage {stage[:80]!r} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return stage


def label(stages: Mapping[str, str], version_id: str, labels: Iterable[str]) -> Stages:
    """Give ``labels`` to ``version_id``; a moved ACSCurrent leaves ACSPrevious on the old version."""
    result = dict(stages)
    for stage in labels:
        check_stage(stage)
        old = result.get(stage)
        result[stage] = version_id
        if stage == CURRENT and old is not None and old != version_id:
            result[PREVIOUS] = old
    return result


def move(stages: Mapping[str, str], stage: str, to_version: str | None, from_version: str | None) -> Stages:
    """UpdateSecretVersionStage: move (or remove) one label. Raises InvalidArgument naming the fault."""
    check_stage(stage)
    holder = stages.get(stage)
    if from_version is not None and holder != from_version:
        raise InvalidArgument(f"RemoveFromVersion {from_version!r} does not carry stage {stage}")
    if to_version is None and from_version is None:
        raise InvalidArgument("give MoveToVersion, RemoveFromVersion or both")
    if to_version is None:
        if stage == CURRENT:
            raise InvalidArgument(
                "ACSCurrent cannot be removed, only moved to another version with MoveToVersion"
            )
        result = dict(stages)
        result.pop(stage, None)
        return result
    if stage == CURRENT and holder is not None and holder != to_version and from_version is None:
        raise InvalidArgument(
            "moving ACSCurrent needs RemoveFromVersion set to the version that carries it now"
        )
    return label(stages, to_version, [stage])


def stages_of(stages: Mapping[str, str], version_id: str) -> list[str]:
    return sorted(s for s, v in stages.items() if v == version_id)


def recovery_deadline(now_ms: int, days: int) -> int:
    if not MIN_RECOVERY_DAYS <= days <= MAX_RECOVERY_DAYS:
        raise InvalidArgument(
            f"RecoveryWindowInDays must be between {MIN_RECOVERY_DAYS} and {MAX_RECOVERY_DAYS}, got {days}"
        )
    return now_ms + days * DAY_MS


def parse_rotation_interval(text: str, name: str = "RotationInterval") -> int:
    """'30d', '6h', '86400s' to seconds. Raises InvalidArgument outside 6 hours to 365 days."""
    match = _INTERVAL.match(text.strip())
    if match is None:
        raise InvalidArgument(f"{name} {text[:40]!r} must be an integer with a unit d, h, m or s, e.g. 30d")
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
    if not MIN_ROTATION_S <= seconds <= MAX_ROTATION_S:
        raise InvalidArgument(f"{name} {text!r} must be between 6 hours and 365 days")
    return seconds


def format_interval(seconds: int | None) -> str:
    return f"{seconds}s" if seconds else ""
