"""Group commit: concurrent writers share one transaction instead of queueing for the write lock.

Each transaction pays fixed costs (the write lock, BEGIN and COMMIT, and on SQLite a wait for the
GIL after every statement while other threads run Python), so many small transactions from
concurrent requests spend most of their time waiting. Here the first writer to arrive leads: it
waits for the write lock, then takes every write queued by then (those that arrived while it
waited included), runs them all in one transaction, hands the results back and passes the lead to
a writer still waiting. A write that fails is retried in a transaction of its own, so one bad
write never takes the others down with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from vigil.storage.engine import Database, Tx

T = TypeVar("T")
MAX_GROUP = 64
"""Writes per shared transaction, so no single commit grows without bound under load."""


class _Pending(Generic[T]):
    __slots__ = ("done", "error", "value", "write")

    def __init__(self, write: Callable[[Tx], T]) -> None:
        self.write = write
        self.done = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    def __init__(self, db: Database, *, max_group: int = MAX_GROUP) -> None:
        self._db = db
        self._max_group = max_group
        self._queue: list[_Pending[Any]] = []
        self._leading = False
        self._turn = threading.Condition()

    def run(self, write: Callable[[Tx], T]) -> T:
        """Run ``write`` in a committed transaction, possibly shared with other threads' writes;
        returns its value once committed, or raises its error. A thread already inside a
        transaction writes in that one instead (it commits with the caller's work)."""
        if self._db.in_transaction():
            with self._db.transaction() as tx:
                return write(tx)
        mine: _Pending[T] = _Pending(write)
        with self._turn:
            self._queue.append(mine)
            while self._leading and not mine.done:
                self._turn.wait()
            if mine.done:
                return mine.result()
            self._leading = True
        try:
            while not mine.done:  # more than a group queued ahead of it: lead again
                self._commit_queued()
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        return mine.result()

    def _commit_queued(self) -> None:
        """One transaction for the writes queued once the write lock is held: the lock is where
        writers wait (other processes' writers, on SQLite), so the group grows while it does."""
        group: list[_Pending[Any]] = []
        try:
            with self._db.transaction() as tx:
                with self._turn:
                    group, self._queue = self._queue[: self._max_group], self._queue[self._max_group :]
                values = [p.write(tx) for p in group]
        except BaseException as exc:
            if not group:  # the transaction itself could not start: every queued write is tried alone
                with self._turn:
                    group, self._queue = self._queue, []
            self._fail_alone(group, exc)
        else:
            self._done(group, values)
        with self._turn:  # the group's writers go on now, not when the lead ends
            self._turn.notify_all()

    def _fail_alone(self, group: list[_Pending[Any]], exc: BaseException) -> None:
        """Find the write that failed: the others of its group commit on their own."""
        if len(group) == 1:
            group[0].error = exc
            group[0].done = True
            return
        for pending in group:
            try:
                with self._db.transaction() as tx:
                    value = pending.write(tx)
            except BaseException as alone:
                pending.error = alone
                pending.done = True
                continue
            self._done([pending], [value])

    @staticmethod
    def _done(group: list[_Pending[Any]], values: list[Any]) -> None:
        for pending, value in zip(group, values, strict=True):
            pending.value = value
            pending.done = True
