"""What one alerting measurement yields, as JSON with the same keys for both systems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerting_load import BatchRun, Paced, summary
from alerting_receiver import Arrival, Tally
from cpu_shares import CpuSplit


def cpu_json(split: CpuSplit) -> dict[str, Any]:
    return split.to_json() | {"noisy": split.noisy}


def throughput_json(
    system: str, events: int, batch: int, run: BatchRun, owed: int, got: Tally, received: int
) -> dict[str, Any]:
    """Batched intake, then how long until every notification owed had arrived."""
    done = got.complete_at
    return {
        "system": system,
        "events": events,
        "batch": batch,
        "ingest_s": round(run.wall_s, 3),
        "events_per_s": round(events / run.wall_s, 1),
        "batch_latency": summary(run.batch_ms),
        "errors": len(run.errors),
        "error_samples": run.errors[:3],
        "notifications_owed": owed,
        "notified": got.items,
        "notifications_received": received,
        "duplicates": got.duplicates,
        "all_notified_s": None if done is None else round(done - run.started, 3),
        "notified_after_ingest_s": None if done is None else round(done - run.finished, 3),
    }


def latency_json(
    system: str, ids: Sequence[str], calls: Paced, arrived: dict[str, float], warmup: int, got: Tally
) -> dict[str, Any]:
    """Trigger i (named ``ids[i]``) began at ``calls.began[i]``; its notification came at ``arrived[id]``."""
    counted = range(warmup, len(ids))
    delays = [(arrived[ids[i]] - calls.began[i]) * 1000 for i in counted if ids[i] in arrived]
    call_ms = [(calls.returned[i] - calls.began[i]) * 1000 for i in counted]
    return {
        "system": system,
        "triggers": len(counted),
        "warmup": warmup,
        "latency": summary(delays),
        "trigger_call": summary(call_ms),
        "missing": len(counted) - len(delays),
        "duplicates": got.duplicates,
        "late_triggers": calls.late,
        "delays_ms": [round(d, 3) for d in delays],
    }


def merge_json(
    system: str,
    events: int,
    run: BatchRun,
    arrivals: Sequence[Arrival],
    per_group: dict[str, int],
    covered: int,
    got: Tally,
) -> dict[str, Any]:
    """How many notifications the merged events became, per group, and when they came."""
    times = [a.at - run.started for a in arrivals]
    return {
        "system": system,
        "events": events,
        "ingest_s": round(run.wall_s, 3),
        "errors": len(run.errors),
        "error_samples": run.errors[:3],
        "notifications": len(arrivals),
        "events_covered": covered,
        "duplicates": got.duplicates,
        "notifications_per_group": dict(sorted(per_group.items())),
        "first_notification_s": round(min(times), 3) if times else None,
        "last_notification_s": round(max(times), 3) if times else None,
    }
