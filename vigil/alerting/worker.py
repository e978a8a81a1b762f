"""The background thread that moves notifications along: woken by every commit that writes to the
outbox or creates delivery records, and at least every ``poll_s`` for retries that fell due, merge
windows that ended and escalations. KMS calls never wait for it.

In a burst it stops chasing every commit. A pass that found at least a dispatch batch of outbox
rows (``BATCH``) shows that events are queueing faster than passes take them; the next pass then
waits for a lull in the commits (``Coalescing.lull_s`` without a wake-up), but never longer than
``Coalescing.max_wait_s``, and takes everything queued meanwhile. While a burst lasts, the cores go
to the calls taking the events in, and the thread never waits more than half a second before a
pass; at a steady pace (a pass finding fewer rows) every commit is dispatched at once.

Under ``vigil serve`` the thread runs in the server's background process, so sending notifications
never competes with API calls for a worker's interpreter; the processes that commit outbox rows
wake it through a signal shared across the fork (``WakeSignal``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from vigil.alerting.deliveries import Deliveries
from vigil.alerting.pipeline import BATCH, Dispatcher
from vigil.errors import VigilError

log = logging.getLogger("vigil.alerting")


class WakeSignal(Protocol):
    """What threading.Event and multiprocessing's Event both offer."""

    def set(self) -> None: ...

    def clear(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class PipeWake:
    """A WakeSignal that crosses a fork and survives a kill -9 on either side: a non-blocking pipe.

    A lock or condition shared between processes (multiprocessing's Event) can be left held, or
    wait forever for a sleeper to acknowledge, when a process dies at the wrong moment; a pipe
    has no such state. ``set`` writes a byte (a full pipe already holds a wake-up), ``wait``
    polls for one, ``clear`` drains them.
    """

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def set(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._write, b"\x01")

    def wait(self, timeout: float | None = None) -> bool:
        readable, _, _ = select.select([self._read], [], [], timeout)
        return bool(readable)

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass


@dataclass(frozen=True, slots=True)
class Coalescing:
    """How a pass waits in a burst (see the module's docstring)."""

    lull_s: float = 0.02
    max_wait_s: float = 0.5
    burst_rows: int = BATCH
    """A pass that dispatched at least this many outbox rows marks a burst."""


class AlertWorker:
    def __init__(
        self,
        dispatcher: Dispatcher,
        deliveries: Deliveries,
        *,
        poll_s: float = 0.5,
        wake_signal: WakeSignal | None = None,
        coalescing: Coalescing | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._deliveries = deliveries
        self._poll_s = poll_s
        self._wake: WakeSignal = wake_signal or threading.Event()
        self._coalescing = coalescing or Coalescing()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._burst_ended_at: float | None = None
        """When the last pass that marked a burst ended (monotonic seconds)."""
        self.coalesced_passes = 0
        """Passes that waited for a lull (for tests and diagnostics)."""

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Everything that is due now: dispatch, flush, escalate, deliver. Returns the work done."""
        dispatched = done = self._dispatcher.dispatch_all()
        done += self._dispatcher.flush_groups()
        done += self._dispatcher.escalate()
        done += self._deliveries.deliver_all()
        burst = dispatched >= self._coalescing.burst_rows
        self._burst_ended_at = time.monotonic() if burst else None
        return done

    def _in_burst(self) -> bool:
        """Whether the last pass marked a burst and ended no longer than ``max_wait_s`` ago (a
        wake-up after a longer quiet spell is a new start, dispatched at once)."""
        ended = self._burst_ended_at
        return ended is not None and time.monotonic() - ended < self._coalescing.max_wait_s

    def start(self) -> None:
        """Start the thread; a no-op while it runs already (two would dispatch out of order)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._loop, name="vigil-alerting", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self._poll_s)
            self._wake.clear()
            if woken and self._in_burst():
                self._await_lull()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except VigilError as exc:
                log.warning("alerting pass failed: %s", exc.message)
            except Exception:
                log.exception("alerting pass crashed")

    def _await_lull(self) -> None:
        """Wait until commits pause for ``lull_s``, or ``max_wait_s`` has passed, or stop is asked."""
        self.coalesced_passes += 1
        c = self._coalescing
        deadline = time.monotonic() + c.max_wait_s
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0 or not self._wake.wait(min(c.lull_s, left)):
                return
            self._wake.clear()
