"""The log channel: one JSON line per delivery appended to a local file, fsync'd before success.

A per-path lock keeps threads of this process from interleaving lines, and an exclusive flock
does the same for other processes appending to the file.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from vigil.alerting.notifiers.base import Channel, Message, Outcome, Reason, elapsed_ms, started

DELIVERY_FIELD = "deliveryId"
FILE_MODE = 0o600  # alert payloads name secrets and keys; the file is not for other local users
# errors that no retry will cure: the path is unusable as given
_FINAL_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EROFS, errno.ENAMETOOLONG}
)


class LogNotifier:
    channel = Channel.LOG

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def check(self, address: Mapping[str, str]) -> str | None:
        raw = address.get("path", "")
        if not raw:
            return "the address has no path"
        if "\0" in raw or not os.path.isabs(raw):
            return "the log path must be absolute"
        path = Path(raw)
        if path.is_dir():
            return "the log path is a directory"
        ancestor = next((p for p in path.parents if p.exists()), None)
        if ancestor is not None and not ancestor.is_dir():
            return f"{ancestor} is a file, so no directory can be made beneath it"
        return None

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None:
            return Outcome.invalid(problem)
        try:
            line = _line(message)
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the event is not valid JSON", 0.0, retryable=False)
        path = Path(address["path"])
        since = started()
        try:
            with self._lock_for(str(path)):
                append(path, line)
        except OSError as exc:
            final = exc.errno in _FINAL_ERRNOS
            error = f"cannot append to {path}: {exc.strerror or type(exc).__name__}"
            return Outcome.failure(Reason.REJECTED, error, elapsed_ms(since), retryable=not final)
        return Outcome.success(elapsed_ms(since))

    def _lock_for(self, path: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(path, threading.Lock())


def append(path: Path, line: bytes) -> None:
    """Append ``line`` whole and durably, creating the file and its directories. Raises OSError."""
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(line)
        while view:  # a short write is possible for large lines; the lock keeps the rest adjacent
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the flock
    if created:
        _fsync_directory(path.parent)  # so the new file's name survives a crash too


def _line(message: Message) -> bytes:
    record = {**message.payload, DELIVERY_FIELD: message.delivery_id}
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode() + b"\n"


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
