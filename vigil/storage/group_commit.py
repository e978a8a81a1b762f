"""Group commit: concurrent writers share one transaction instead of queueing for the write lock.

Each transaction pays fixed costs (the write lock, BEGIN and COMMIT, and on SQLite a wait for the
GIL after every statement while other threads run Python), so many small transactions from
concurrent requests spend most of their time waiting. Here the first writer to arrive leads: it
takes every write queued so far, runs them all in one transaction, hands the results back and
passes the lead to a writer still waiting. A write that fails is retried in a transaction of its
own, so one bad write never takes the others down with it.
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
            group, self._queue = self._queue[: self._max_group], self._queue[self._max_group :]
        try:
            self._commit(group)
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()
        return mine.result()

    def _commit(self, group: list[_Pending[Any]]) -> None:
        try:
            with self._db.transaction() as tx:
                values = [p.write(tx) for p in group]
        except BaseException as exc:
            if len(group) == 1:
                group[0].error = exc
                group[0].done = True
                return
            for pending in group:  # find the write that failed; the others commit on their own
                self._commit([pending])
            return
        for pending, value in zip(group, values, strict=True):
            pending.value = value
            pending.done = True
