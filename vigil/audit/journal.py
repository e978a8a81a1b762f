"""The audit journal: where a call's record becomes durable before its answer is sent.

Each process appends JSON lines to a segment file of its own under the journal directory. The
records of calls that finish together are written with one ``write`` (group commit): on an
event loop, the first record of a turn is written at once, and the others queued during that turn
go out together in the next; other threads write at once. Under load that turns many system calls
into one (bench/audit_encrypt.py measured about 10 µs of server CPU less per call than a ``write``
per call), while a call that finishes alone never waits for the next turn. A record is durable once
``write`` returns: it is in the operating system's cache and survives a kill -9 of the process
(as a SQLite commit under ``synchronous=NORMAL`` does); ``fsync=True`` also survives a crash of the
machine, at the cost of one fsync per group.

The indexer (``indexer.py``) copies the lines into the ``audit_records`` table that queries read.
If a write fails (a full or read-only disk) the call that needed it fails too, and the failure is
counted; the journal keeps refusing until a write succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil.errors import Unavailable

log = logging.getLogger("vigil.audit")

SEGMENT_BYTES = 64 * 1024 * 1024
"""A segment is closed and a new one opened past this size, so indexed ones can be removed."""
SUFFIX = ".jsonl"


class AuditUnavailable(Unavailable):
    """The audit record of a call could not be written, so the call is refused."""

    code = "AuditUnavailable"


@dataclass(frozen=True, slots=True)
class JournalStatus:
    written: int
    failures: int
    last_failure: str
    segment: str
    failing: bool


class Journal:
    def __init__(self, directory: Path, *, fsync: bool = False, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self._fsync = fsync
        self._segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._written = 0
        self._failures = 0
        self._last_failure = ""
        self._failing = False
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[bytes, asyncio.Future[None]]]] = {}
        self._alone: set[asyncio.AbstractEventLoop] = set()  # loops whose turn has written a record already

    # -- writing ---------------------------------------------------------------------------

    async def append(self, line: bytes) -> None:
        """Write one record (a JSON line without its newline) and return once it is written.
        Without fsync, the first record of a turn of the event loop is written at once (a call
        that finishes alone does not wait a turn); the others of that turn are queued and written
        together in the next. With fsync every record is queued. Raises AuditUnavailable."""
        loop = asyncio.get_running_loop()
        if not self._fsync and loop not in self._alone:
            self._alone.add(loop)
            loop.call_soon(self._alone.discard, loop)
            self.write((line,))
            return
        future: asyncio.Future[None] = loop.create_future()
        queued = self._pending.get(loop)
        if queued is None:
            queued = self._pending[loop] = []
            loop.call_soon(self._flush_loop, loop)
        queued.append((line, future))
        await future

    def _flush_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        queued = self._pending.pop(loop, [])
        try:
            self.write([line for line, _ in queued])
        except AuditUnavailable as exc:
            for _, future in queued:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future in queued:
            if not future.done():
                future.set_result(None)

    def write(self, lines: Sequence[bytes]) -> None:
        """Write records now, as one group. Raises AuditUnavailable (and counts the failure)."""
        if not lines:
            return
        data = b"\n".join(lines) + b"\n"
        with self._lock:
            try:
                fd = self._segment(len(data))
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self._fsync:
                    os.fsync(fd)
            except OSError as exc:
                self._failed(exc, len(lines))
                raise AuditUnavailable(
                    "the audit record of this call could not be written "
                    f"({exc.strerror or type(exc).__name__}), so the call is refused"
                ) from None
            self._size += len(data)
            self._written += len(lines)
            self._failing = False

    def _segment(self, incoming: int) -> int:
        if self._fd is not None and self._size + incoming > self._segment_bytes and self._size:
            os.close(self._fd)
            self._fd = None
        if self._fd is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
            self._path = self.directory / name
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._size = 0
        return self._fd

    def _failed(self, exc: OSError, records: int) -> None:
        self._failing = True
        self._failures += records
        self._last_failure = exc.strerror or type(exc).__name__
        log.error("audit journal write failed (%s); %d call(s) refused", self._last_failure, records)
        if self._fd is not None:
            # cut off whatever part of the group reached the file (those calls are refused), and
            # start a new segment next time
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    # -- state -----------------------------------------------------------------------------

    @property
    def failing(self) -> bool:
        """The last write failed: calls are refused before they run, until a record is written again."""
        return self._failing

    def current_segment(self) -> Path | None:
        """The segment this process writes to now (the indexer leaves it in place)."""
        return self._path

    def status(self) -> JournalStatus:
        with self._lock:
            return JournalStatus(
                self._written,
                self._failures,
                self._last_failure,
                self._path.name if self._path else "",
                self._failing,
            )

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def segments(directory: Path) -> list[Path]:
    """Every segment in the directory, oldest first (names start with their creation time)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX))


def writer_alive(segment: Path) -> bool:
    """Whether the process that writes ``segment`` still runs (its pid ends the name)."""
    try:
        pid = int(segment.name.removesuffix(SUFFIX).rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    return Path(f"/proc/{pid}").exists()
