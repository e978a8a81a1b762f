"""The audit trail as the rest of Vigil sees it: record a call before its answer goes out, record
a background action, and answer LookupEvents and the advanced query (docs/audit-query.md)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from vigil import ids
from vigil.audit import store
from vigil.audit.calls import CallRecords, CallTrace
from vigil.audit.indexer import Indexer, encode
from vigil.audit.journal import Journal, JournalStatus
from vigil.audit.log_store import LogStores
from vigil.audit.model import AuditRecord, Direction, EventRW, EventType
from vigil.audit.query import compile_query
from vigil.audit.redaction import Redactor
from vigil.audit.store import Cursor, Page, StatsRow
from vigil.clock import Clock
from vigil.storage.engine import Database

log = logging.getLogger("vigil.audit")


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What an advanced query found: a page of records, or for a query ending in ``| stats`` its
    rows and the names of the fields they are grouped by."""

    page: Page | None = None
    rows: list[StatsRow] | None = None
    group_by: tuple[str, ...] = ()


class AuditTrail:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        journal: Journal,
        redactor: Redactor,
        calls: CallRecords,
        logs: LogStores | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.journal = journal
        self.redactor = redactor
        self.calls = calls
        self.logs = logs
        self.indexer = Indexer(db, journal, logs)
        self._index_lock = threading.Lock()

    # -- recording -------------------------------------------------------------------------

    async def record_call(self, trace: CallTrace, account_id: str) -> None:
        """Make the call's record durable. Raises AuditUnavailable; the caller answers with it."""
        await self.journal.append(self.calls.line(trace, account_id))

    def record_service_event(
        self,
        account_id: str,
        service: str,
        name: str,
        *,
        resource_type: str,
        resource_name: str,
        details: dict[str, object] | None = None,
        error_code: str = "",
        error_message: str = "",
    ) -> None:
        """A background action (a key destroyed at the end of its window, an automatic rotation),
        recorded as a ServiceEvent by the ``vigil`` service identity; ``error_code`` says it failed.
        Never raises: the action has happened, and a failed write is counted and logged by the journal."""
        now = self._clock.now_ms()
        record = AuditRecord(
            event_id=ids.time_ordered_uuid(now),
            account_id=account_id,
            event_time_ms=now,
            service_name=service,
            event_name=name,
            event_rw=EventRW.WRITE.value,
            event_type=EventType.SERVICE_EVENT.value,
            event_source="vigil.internal",
            request_id="",
            acs_region=self.calls.region(),
            source_ip="",
            user_agent="",
            identity_type="service",
            principal_id="vigil",
            user_name="vigil",
            access_key_id="",
            resource_type=resource_type,
            resource_name=resource_name,
            error_code=error_code,
            error_message=error_message[:1024],
            request_parameters=self.redactor.redact(dict(details or {})),
        )
        try:
            self.journal.write([encode(record)])
        except Exception as exc:  # counted by the journal; the action itself has already happened
            log.error("service event %s for %s was not recorded: %s", name, resource_name, exc)

    # -- reading ---------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Index every journal line written so far (a reader sees the calls just made)."""
        with self._index_lock:
            return self.indexer.catch_up()

    def lookup(
        self,
        account_id: str,
        attributes: Sequence[tuple[str, str]],
        start_ms: int,
        end_ms: int,
        direction: Direction,
        limit: int,
        after: Cursor | None,
    ) -> Page:
        self.catch_up()
        with self._db.transaction(write=False) as tx:
            return store.lookup(tx, account_id, attributes, start_ms, end_ms, direction, limit, after)

    def search(
        self,
        account_id: str,
        query: str,
        start_ms: int,
        end_ms: int,
        limit: int,
        after: Cursor | None,
        instance_id: str | None = None,
        direction: Direction = Direction.BACKWARD,
    ) -> SearchResult:
        """The records a query finds (a page), or its stats rows when it ends in ``| stats``.
        Raises QueryError (InvalidArgument) pointing at the column at fault."""
        compiled = compile_query(query, self._db.dialect)
        self.catch_up()
        with self._db.transaction(write=False) as tx:
            if compiled.stats is not None:
                rows = store.stats(tx, account_id, compiled, start_ms, end_ms, instance_id)
                return SearchResult(rows=rows, group_by=compiled.stats.names)
            page = store.search(
                tx, account_id, compiled, start_ms, end_ms, limit, after, instance_id, direction
            )
            return SearchResult(page=page)

    def status(self) -> JournalStatus:
        return self.journal.status()

    def close(self) -> None:
        self.journal.close()
