"""The background thread that moves notifications along: woken by every commit that writes to the
outbox or creates delivery records, and at least every ``poll_s`` for retries that fell due, merge
windows that ended and escalations. KMS calls never wait for it.
"""

from __future__ import annotations

import logging
import threading

from vigil.alerting.deliveries import Deliveries
from vigil.alerting.pipeline import Dispatcher
from vigil.errors import VigilError

log = logging.getLogger("vigil.alerting")


class AlertWorker:
    def __init__(self, dispatcher: Dispatcher, deliveries: Deliveries, *, poll_s: float = 0.5) -> None:
        self._dispatcher = dispatcher
        self._deliveries = deliveries
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> int:
        """Everything that is due now: dispatch, flush, escalate, deliver. Returns the work done."""
        done = self._dispatcher.dispatch_all()
        done += self._dispatcher.flush_groups()
        done += self._dispatcher.escalate()
        done += self._deliveries.deliver_all()
        return done

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="vigil-alerting", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._poll_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except VigilError as exc:
                log.warning("alerting pass failed: %s", exc.message)
            except Exception:
                log.exception("alerting pass crashed")
