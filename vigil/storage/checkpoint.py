"""Checkpointing SQLite's write-ahead log on a thread of its own, off every writer's path.

In WAL mode a commit appends pages to ``vigil.db-wal``; a checkpoint copies them into the database
file and syncs both. By default the committing connection checkpoints itself once the log holds
1,000 pages, inside its commit, so about one commit in ten held the write lock (and made every
other writer wait) for the copy and two ``fsync`` calls: measured on event ingest, half of all the
time spent committing.

Here a thread copies committed pages a few times a second, without the write lock (a checkpoint
runs beside writers; SQLite only keeps it from copying a page a reader may still need). Writers
keep a checkpoint of their own only as a backstop, at ``BACKSTOP_PAGES``: under load that never
pauses, the log can only start over from its beginning once a checkpoint has copied all of it, and
one that runs beside writers rarely catches the log with nothing new. A writer that finds the log
past the backstop checkpoints it inside its commit, which finishes the job cheaply (the thread has
already copied nearly everything), and the next write starts the log over. So the log stays below
about ``BACKSTOP_PAGES`` pages, and without the thread (a CLI process) SQLite behaves as before,
only with a longer log.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("vigil.storage")

BACKSTOP_PAGES = 8192
"""``wal_autocheckpoint`` of every connection: about 32 MB of log with 4 KB pages."""
INTERVAL_S = 0.1
"""Between passes; one that finds nothing to copy costs a few microseconds."""


@dataclass(frozen=True, slots=True)
class Pass:
    """What one checkpoint found: the log's pages, how many of them are now in the database file,
    and whether a reader or writer kept it from copying them all."""

    log_pages: int
    copied_pages: int
    busy: bool

    @property
    def complete(self) -> bool:
        return self.copied_pages >= self.log_pages


class Checkpointer:
    """Checkpoints ``path``'s log every ``interval_s``, on a connection of its own, until ``close``.

    ``writers_excluded`` holds off every writer of the database (its write lock). A pass that finds
    the log past the backstop and could not copy all of it (writers kept appending) runs once more
    inside it, where nothing can append: the copy completes and the next write starts the log over.
    The writers' own backstop checkpoints do the same, but one that meets this thread's pass gives
    up, so under writes that never pause the log would keep growing while the two take turns."""

    def __init__(
        self,
        path: Path,
        *,
        interval_s: float = INTERVAL_S,
        writers_excluded: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self._path = path
        self._interval_s = interval_s
        self._writers_excluded = writers_excluded
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    def run_once(self) -> Pass:
        """One passive checkpoint: copies what no reader still needs, waits for nobody (but the
        writers, once the log is past the backstop and they keep it from completing)."""
        done = self._checkpoint()
        if done.log_pages >= BACKSTOP_PAGES and not done.complete:
            with self._writers_excluded():
                done = self._checkpoint()
        return done

    def _checkpoint(self) -> Pass:
        if self._conn is None:
            self._conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA wal_autocheckpoint=0")  # this connection never writes
        busy, log_pages, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return Pass(max(log_pages, 0), max(copied, 0), bool(busy))

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="vigil-wal-checkpoint", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self.run_once()
            except sqlite3.Error as exc:  # say, a database locked for longer than usual: next time
                log.warning("WAL checkpoint failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
