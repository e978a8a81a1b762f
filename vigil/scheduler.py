"""Periodic background jobs, leased in the database so two nodes never run one job at once.

Domains register their jobs (``keys/jobs.py`` registers key destruction and rotation);
the scheduler only knows names, intervals and callables.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from vigil.errors import VigilError
from vigil.storage.engine import Database

log = logging.getLogger("vigil.scheduler")

LEASE_MS = 120_000


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    interval_s: float
    run: Callable[[], int]
    """Does one batch of work; returns how many items it handled."""


class Scheduler:
    def __init__(self, db: Database, *, holder: str | None = None, tick_s: float = 1.0) -> None:
        self._db = db
        self.holder = holder or f"node-{uuid.uuid4().hex[:12]}"
        self._jobs: dict[str, Job] = {}
        self._tick_s = tick_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()

    def register(self, job: Job) -> None:
        self._jobs[job.name] = job

    @property
    def jobs(self) -> list[str]:
        return sorted(self._jobs)

    def run_due(self, *, force: bool = False) -> dict[str, int]:
        """Run every job whose interval has passed (all of them with force); returns items per job."""
        done: dict[str, int] = {}
        with self._run_lock:
            for job in list(self._jobs.values()):
                if self._acquire(job, force=force):
                    done[job.name] = self._run_leased(job)
        return done

    def _run_leased(self, job: Job) -> int:
        try:
            count = job.run()
        except VigilError as exc:
            log.warning("job %s failed: %s", job.name, exc.message)
            count = 0
        except Exception:
            log.exception("job %s crashed", job.name)
            count = 0
        finally:
            self._release(job)
        return count

    def _acquire(self, job: Job, *, force: bool) -> bool:
        now = _wall_ms()
        due_before = now if force else now - int(job.interval_s * 1000)
        with self._db.transaction() as tx:
            changed = tx.execute(
                "INSERT INTO job_leases (name, holder, expires_at, last_run_at) VALUES (?, ?, ?, NULL) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
                "WHERE job_leases.expires_at < ? "
                "AND (job_leases.last_run_at IS NULL OR job_leases.last_run_at <= ?)",
                (job.name, self.holder, now + LEASE_MS, now, due_before),
            )
        return bool(changed == 1)

    def _release(self, job: Job) -> None:
        now = _wall_ms()
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE job_leases SET expires_at = ?, last_run_at = ? WHERE name = ? AND holder = ?",
                (now - 1, now, job.name, self.holder),
            )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="vigil-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self._tick_s):
            try:
                self.run_due()
            except VigilError as exc:
                log.warning("scheduler tick failed: %s", exc.message)


def _wall_ms() -> int:
    # Leases are about which node is alive, so they use the real clock, not the test clock.
    return time.time_ns() // 1_000_000
