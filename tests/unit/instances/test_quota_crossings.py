"""Quota crossings (pure): each threshold fires once when usage reaches it and is re-armed below it;
the log store has a third threshold, full, at 100 %."""

from __future__ import annotations

import pytest

from vigil.instances.model import GIB, LogQuotaOptions, Quotas
from vigil.instances.quotas import FULL, Quota, crossings, thresholds
from vigil.instances.service import gigabytes

ALL_ARMED: dict[int, bool] = {}


@pytest.mark.parametrize(
    ("usage", "armed", "fired", "state"),
    [
        (69, ALL_ARMED, [], {70: True, 90: True, 100: True}),
        (70, ALL_ARMED, [70], {70: False, 90: True, 100: True}),
        (95, {70: False}, [90], {70: False, 90: False, 100: True}),
        (100, {70: False, 90: False}, [100], {70: False, 90: False, 100: False}),
        (120, {70: False, 90: False, 100: False}, [], {70: False, 90: False, 100: False}),
        (50, {70: False, 90: False, 100: False}, [], {70: True, 90: True, 100: True}),
        (100, ALL_ARMED, [70, 90, 100], {70: False, 90: False, 100: False}),
    ],
    ids=["below", "reaches-70", "reaches-90", "full", "still-full", "falls-back", "jumps-to-full"],
)
def test_log_store_crossings(
    usage: int, armed: dict[int, bool], fired: list[int], state: dict[int, bool]
) -> None:
    found, new_state = crossings(usage, 100, armed, thresholds(Quota.LOG))
    assert [c.threshold for c in found] == fired
    assert new_state == state


@pytest.mark.parametrize("quota", [Quota.KEYS, Quota.SECRETS, Quota.ACCESS_MANAGEMENT], ids=str)
def test_only_the_log_store_has_a_full_threshold(quota: Quota) -> None:
    assert FULL not in thresholds(quota)
    assert FULL in thresholds(Quota.LOG)


@pytest.mark.parametrize(
    ("options", "expected"),
    [(LogQuotaOptions(), 10 * GIB), (LogQuotaOptions(quota_bytes=4096), 4096)],
    ids=["instance-gb", "setting-bytes"],
)
def test_the_log_quota_is_the_instances_gb_unless_a_byte_quota_is_set(
    options: LogQuotaOptions, expected: int
) -> None:
    assert options.limit(Quotas(log_storage_gb=10)) == expected


@pytest.mark.parametrize(
    ("size", "text"),
    [(10 * GIB, "10"), (GIB * 3 // 4, "0.75"), (20_000, "0.000018626"), (0, "0")],
    ids=["whole", "fraction", "tiny", "empty"],
)
def test_log_volumes_are_reported_in_gb(size: int, text: str) -> None:
    assert gigabytes(size) == text
