"""The indexer waits while the machine is saturated, within its lag bounds, and works at once
otherwise; the idle share comes from the kernel's /proc/stat counters."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vigil.audit.pacing import SPARE_CORES, IndexPacer, Pacing, ProcStatIdle


class ScriptedIdle:
    """An idle meter that reads its answers from a list (the last one repeats)."""

    def __init__(self, shares: list[float | None]) -> None:
        self._shares = shares

    def idle_share(self) -> float | None:
        return self._shares.pop(0) if len(self._shares) > 1 else self._shares[0]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pacer(shares: list[float | None], backlog: list[int], clock: Clock, **pacing: float) -> IndexPacer:
    return IndexPacer(
        ScriptedIdle(shares),
        lambda: backlog[0],
        Pacing(max_lag_s=pacing.get("max_lag_s", 60.0), max_lag_bytes=int(pacing.get("max_lag_bytes", 1000))),
        clock,
        cpus=2,
    )


def test_an_idle_machine_indexes_at_once() -> None:
    pacer = _pacer([0.5], [10], Clock())
    assert pacer.should_wait() is False
    assert pacer.deferred_passes == 0


def test_nothing_to_index_never_waits_even_when_saturated() -> None:
    assert _pacer([0.0], [0], Clock()).should_wait() is False


def test_an_unknown_idle_share_never_waits() -> None:
    assert _pacer([None], [10], Clock()).should_wait() is False


def test_a_saturated_machine_waits_until_the_lag_reaches_its_time_bound() -> None:
    clock = Clock()
    pacer = _pacer([0.01], [10], clock, max_lag_s=30.0)
    assert pacer.should_wait() is True
    clock.now += 29.9
    assert pacer.should_wait() is True
    clock.now += 0.1
    assert pacer.should_wait() is False, "30 s behind: index now, however busy the machine"
    assert pacer.should_wait() is True, "the next wait starts counting afresh"
    assert pacer.deferred_passes == 3


def test_a_saturated_machine_indexes_once_the_backlog_reaches_its_size_bound() -> None:
    backlog = [999]
    pacer = _pacer([0.01], backlog, Clock(), max_lag_bytes=1000)
    assert pacer.should_wait() is True
    backlog[0] = 1000
    assert pacer.should_wait() is False


def test_spare_cpu_ends_a_wait() -> None:
    clock = Clock()
    pacer = _pacer([0.0, 0.0, 0.6, 0.0], [10], clock, max_lag_s=30.0)
    assert [pacer.should_wait() for _ in range(3)] == [True, True, False]
    clock.now += 29.0
    assert pacer.should_wait() is True, "the wait after an idle moment is a new one"


def _stat(path: Path, user: int, idle: int, iowait: int) -> None:
    path.write_text(f"cpu  {user} 0 0 {idle} {iowait} 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")


def test_the_threshold_is_most_of_one_core_whatever_the_number_of_cores() -> None:
    for cpus, busy, spare in ((1, 0.70, 0.80), (2, 0.35, 0.40), (8, 0.09, 0.10)):
        assert SPARE_CORES / cpus < spare and busy < SPARE_CORES / cpus
        waits = IndexPacer(ScriptedIdle([busy]), lambda: 1, cpus=cpus)
        runs = IndexPacer(ScriptedIdle([spare]), lambda: 1, cpus=cpus)
        assert (waits.should_wait(), runs.should_wait()) == (True, False), cpus


def test_proc_stat_idle_share_is_idle_and_iowait_over_all_time(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    _stat(stat, user=1000, idle=500, iowait=0)
    meter = ProcStatIdle(stat, own_cpu=lambda: 0.0)
    assert meter.idle_share() is None, "the first reading has nothing to compare with"
    _stat(stat, user=1090, idle=505, iowait=5)
    assert meter.idle_share() == pytest.approx(10 / 100)
    _stat(stat, user=1090, idle=605, iowait=5)
    assert meter.idle_share() == pytest.approx(1.0)


def test_what_the_indexer_used_itself_counts_as_spare(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    used = [0.0]
    meter = ProcStatIdle(stat, own_cpu=lambda: used[0])
    _stat(stat, user=1000, idle=500, iowait=0)
    assert meter.idle_share() is None
    _stat(stat, user=1100, idle=500, iowait=0)  # 100 busy jiffies, 30 of them the indexer's own
    used[0] += 30 / meter._ticks
    assert meter.idle_share() == pytest.approx(30 / 100)


def test_proc_stat_that_is_missing_or_unreadable_gives_no_share(tmp_path: Path) -> None:
    assert ProcStatIdle(tmp_path / "absent").idle_share() is None
    garbled = tmp_path / "stat"
    garbled.write_text("intr 1 2 3\n")
    assert ProcStatIdle(garbled).idle_share() is None


def test_the_real_proc_stat_gives_a_share_between_zero_and_one() -> None:
    meter = ProcStatIdle()
    if meter.idle_share() is None and not Path("/proc/stat").exists():
        pytest.skip("no /proc/stat on this system")
    time.sleep(0.05)  # a few clock ticks between the two readings
    share = meter.idle_share()
    assert share is not None and 0.0 <= share <= 1.0
