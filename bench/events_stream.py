"""The delay from a KMS call to its event in the live stream, against a running ``vigil serve``.

A reader thread holds one stream open (``VigilClient.stream``, filtered to the scheduled-deletion
event) and notes when each event arrives; the main thread calls ScheduleKeyDeletion through the
official alibabacloud-kms20160120 SDK, one key at a time, and waits for that key's event. The delay
runs from just before the SDK call to the moment the event's data line has been read and parsed.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from events_queries import percentile

from vigil.client import VigilClient
from vigil.events.service import EventCenter

EVENT = "Key:DeleteKey:ScheduleDeletion"
WAIT_S = 15.0


@dataclass(slots=True)
class StreamDelays:
    """Per call: call start → event read from the stream, the call's own time, and event after reply."""

    delay_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    after_reply_ms: list[float] = field(default_factory=list)
    open_ms: float = 0.0
    missing: int = 0
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def summary(values: list[float]) -> dict[str, float]:
            return {
                "p50_ms": round(percentile(values, 50), 2),
                "p95_ms": round(percentile(values, 95), 2),
                "max_ms": round(max(values, default=0.0), 2),
            }

        return {
            "calls": len(self.delay_ms),
            "call_to_stream": summary(self.delay_ms),
            "call": summary(self.call_ms),
            "after_reply": summary(self.after_reply_ms),
            "stream_open_ms": round(self.open_ms, 1),
            "missing": self.missing,
            "problems": self.problems,
        }


class _Reader(threading.Thread):
    """Reads ``expected`` scheduled-deletion events from one stream, noting when each arrived."""

    def __init__(self, client: VigilClient, expected: int) -> None:
        super().__init__(name="bench-stream-reader", daemon=True)
        self._client = client
        self._expected = expected
        self.arrivals: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.opened = threading.Event()
        self.open_ms = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            began = time.perf_counter()
            with self._client.stream({"Name": EVENT}, read_timeout=120) as events:
                self.open_ms = (time.perf_counter() - began) * 1000
                self.opened.set()
                for count, payload in enumerate(events, start=1):
                    self.arrivals.put((time.perf_counter(), payload))
                    if count == self._expected:
                        return
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            self.opened.set()


def kms_client(port: int, access_key_id: str, secret: str, region: str) -> Any:
    """The unmodified alibabacloud-kms20160120 client pointed at a local server."""
    from alibabacloud_kms20160120.client import Client
    from alibabacloud_tea_openapi.models import Config

    config = Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{port}",
        protocol="http",
        region_id=region,
    )
    return Client(config)


def measure(kms: Any, client: VigilClient, calls: int, warmup: int) -> StreamDelays:
    """Create ``warmup + calls`` keys, then schedule each for deletion and time its event's arrival."""
    from alibabacloud_kms20160120 import models as kms_models

    create = kms_models.CreateKeyRequest(
        description="bench", key_spec="Aliyun_AES_256", key_usage="ENCRYPT/DECRYPT"
    )
    keys = [kms.create_key(create).body.key_metadata.key_id for _ in range(warmup + calls)]
    reader = _Reader(client, len(keys))
    reader.start()
    found = StreamDelays()
    if not reader.opened.wait(120) or reader.error is not None:
        found.problems.append(f"the stream did not open: {reader.error!r}")
        return found
    found.open_ms = reader.open_ms
    for index, key_id in enumerate(keys):
        began = time.perf_counter()
        kms.schedule_key_deletion(
            kms_models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7)
        )
        replied = time.perf_counter()
        arrived = _arrival_of(reader, key_id, found)
        if arrived is None or index < warmup:
            continue
        found.delay_ms.append((arrived - began) * 1000)
        found.call_ms.append((replied - began) * 1000)
        found.after_reply_ms.append((arrived - replied) * 1000)
    reader.join(5)
    if reader.error is not None:
        found.problems.append(f"the stream failed: {reader.error!r}")
    return found


def _arrival_of(reader: _Reader, key_id: str, found: StreamDelays) -> float | None:
    """When ``key_id``'s event arrived; None (counted as missing) if it did not within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            arrived, payload = reader.arrivals.get(timeout=left)
        except queue.Empty:
            break
        if payload.get("content", {}).get("keyId") == key_id:
            return arrived
        found.problems.append(f"an event for another key arrived: {payload.get('resourceId')}")
    found.missing += 1
    return None


def time_tail(center: EventCenter, account_id: str, polls: int = 50) -> dict[str, float]:
    """EventCenter.tail as the stream calls it on each wake-up: the events after a recent sequence number."""
    newest = center.resume_point(account_id, event_id=None, since_ms=None)
    spent = []
    for back in range(1, polls + 1):
        began = time.perf_counter()
        center.tail(account_id, max(0, newest - back), 500)
        spent.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(percentile(spent, 50), 2), "p95_ms": round(percentile(spent, 95), 2)}


def time_resume(center: EventCenter, account_id: str, runs: int = 5) -> dict[str, float]:
    """EventCenter.resume_point for a stream opened "from now", as every new stream calls it."""
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        center.resume_point(account_id, event_id=None, since_ms=None)
        spent.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(percentile(spent, 50), 2), "max_ms": round(max(spent), 2)}
