"""Copying the audit journal into ``audit_records``, exactly once per line.

Any process may index (the background process does it continuously; a query first catches up, so
a caller always finds the calls it has just made). A segment's offset is read and moved inside the
transaction that inserts its lines, under the writer lock (SQLite) or the offset row's lock
(PostgreSQL), so two indexers never copy a line twice. A fully indexed segment is removed once
its writer has moved on to a newer segment or is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import orjson

from vigil.audit import store
from vigil.audit.calls import expand
from vigil.audit.journal import Journal, segments, writer_alive
from vigil.audit.log_store import LogStores
from vigil.audit.model import AuditRecord
from vigil.storage.engine import Database, Tx

log = logging.getLogger("vigil.audit")

CHUNK_BYTES = 4 * 1024 * 1024
"""Journal bytes copied per transaction, so an indexer never holds the writer lock for long."""


def encode(record: AuditRecord) -> bytes:
    """The journal line of a record (without the newline): its event JSON, exact time and instance."""
    return orjson.dumps({"t": record.event_time_ms, "i": record.instance_id, "e": record.to_event()})


def decode(line: bytes) -> AuditRecord:
    """The record of a journal line: an event as written (``encode``), or a call in the compact
    form the endpoints write (``CallRecords.line``), expanded here."""
    entry = orjson.loads(line)
    time_ms = int(entry["t"])
    event = entry["e"] if "e" in entry else expand(time_ms, entry["c"])
    return AuditRecord.from_event(event, event_time_ms=time_ms, instance_id=str(entry["i"]))


def row(line: bytes) -> store.RecordRow:
    """The audit_records row of a journal line: calls (the compact form) straight from the line,
    events written whole (``encode``) through their AuditRecord. Raises ValueError, KeyError or
    TypeError for a line that is not one."""
    entry = orjson.loads(line)
    time_ms, instance = int(entry["t"]), str(entry["i"])
    if "c" in entry:
        return store.call_row(time_ms, instance, entry["c"])
    record = AuditRecord.from_event(entry["e"], event_time_ms=time_ms, instance_id=instance)
    return store.record_rows([record])[0]


def _rows(segment: str, data: bytes) -> list[store.RecordRow]:
    rows = []
    for line in data.splitlines():
        try:
            rows.append(row(line))
        except (ValueError, KeyError, TypeError) as exc:
            log.error("audit journal %s: an unreadable line was skipped (%s)", segment, exc)
    return rows


class Indexer:
    def __init__(self, db: Database, journal: Journal, logs: LogStores | None = None) -> None:
        self._db = db
        self._journal = journal
        self._logs = logs
        self._indexed: dict[str, int] = {}
        """Offsets this indexer has seen committed: an idle pass compares sizes, not the database."""

    def catch_up(self) -> int:
        """Index every complete line written so far; returns how many records were added."""
        added = 0
        all_segments = segments(self._journal.directory)
        for segment in all_segments:
            try:
                size = segment.stat().st_size
            except FileNotFoundError:
                continue
            while self._indexed.get(segment.name) != size:  # an idle segment costs no transaction
                copied, done = self._copy_chunk(segment)
                added += copied
                if done:
                    break
            if self._finished(segment, all_segments):
                self._remove(segment)
        return added

    def backlog_bytes(self) -> int:
        """Journal bytes written but not yet indexed, as far as this indexer knows (a segment it
        has not read yet counts whole)."""
        return self._behind(self._indexed)

    def unindexed_bytes(self) -> int:
        """Journal bytes not yet indexed by any process, from the committed offsets."""
        with self._db.transaction(write=False) as tx:
            done = {r["segment"]: int(r["indexed_bytes"]) for r in tx.all("SELECT * FROM audit_journal")}
        return self._behind(done)

    def _behind(self, indexed: Mapping[str, int]) -> int:
        behind = 0
        for segment in segments(self._journal.directory):
            try:
                behind += max(0, segment.stat().st_size - indexed.get(segment.name, 0))
            except FileNotFoundError:
                continue
        return behind

    def _copy_chunk(self, segment: Path) -> tuple[int, bool]:
        """One transaction's worth of ``segment``: (records added, whether it is indexed to its end).

        The lines are read and turned into rows before the write transaction, from the offset
        this indexer last saw committed; inside it the offset is read again, and if another
        indexer moved it meanwhile the rows are thrown away and the pass starts over from there."""
        offset = self._indexed.get(segment.name)
        if offset is None:
            offset = self._committed_offset(segment.name)
        try:
            with segment.open("rb") as f:
                f.seek(offset)
                data = f.read(CHUNK_BYTES)
        except FileNotFoundError:
            return 0, True
        end = data.rfind(b"\n") + 1  # a line still being written waits for the next pass
        if end == 0:  # nothing complete past a committed offset: nobody can have moved it further
            self._indexed[segment.name] = offset
            return 0, True
        rows = _rows(segment.name, data[:end])
        with self._db.transaction() as tx:
            if self._offset(tx, segment.name) != offset:  # another indexer got there first
                self._indexed.pop(segment.name, None)
                return 0, False
            if self._logs is not None:  # a full instance log store sends its records to the trail
                rows = self._logs.place(tx, rows)
            store.insert_rows(tx, rows)
            tx.execute(
                "UPDATE audit_journal SET indexed_bytes = ? WHERE segment = ?", (offset + end, segment.name)
            )
            tx.on_commit(lambda: self._indexed.__setitem__(segment.name, offset + end))
            return len(rows), end == len(data) and len(data) < CHUNK_BYTES

    def _committed_offset(self, name: str) -> int:
        with self._db.transaction(write=False) as tx:
            row = tx.one("SELECT indexed_bytes FROM audit_journal WHERE segment = ?", (name,))
        return int(row["indexed_bytes"]) if row is not None else 0

    def _offset(self, tx: Tx, name: str) -> int:
        lock = " FOR UPDATE" if self._db.dialect == "postgresql" else ""
        row = tx.one(f"SELECT indexed_bytes FROM audit_journal WHERE segment = ?{lock}", (name,))
        if row is None:
            tx.execute(
                "INSERT INTO audit_journal (segment, indexed_bytes) VALUES (?, 0) ON CONFLICT DO NOTHING",
                (name,),
            )
            row = tx.one(f"SELECT indexed_bytes FROM audit_journal WHERE segment = ?{lock}", (name,))
        return int(row["indexed_bytes"]) if row is not None else 0

    def _finished(self, segment: Path, all_segments: list[Path]) -> bool:
        """Indexed to its end, and its writer will never append to it again."""
        if segment == self._journal.current_segment():
            return False
        pid = segment.name.rsplit("-", 1)[-1]
        superseded = any(s.name.endswith(f"-{pid}") and s.name > segment.name for s in all_segments)
        if not superseded and writer_alive(segment):
            return False
        with self._db.transaction(write=False) as tx:
            row = tx.one("SELECT indexed_bytes FROM audit_journal WHERE segment = ?", (segment.name,))
        try:
            return row is not None and int(row["indexed_bytes"]) >= segment.stat().st_size
        except FileNotFoundError:
            return False

    def _remove(self, segment: Path) -> None:
        # the file goes first: a crash in between leaves a row without a file, which is harmless
        segment.unlink(missing_ok=True)
        self._indexed.pop(segment.name, None)
        with self._db.transaction() as tx:
            tx.execute("DELETE FROM audit_journal WHERE segment = ?", (segment.name,))
