"""Keeping the query planner's statistics fresh on SQLite.

SQLite plans without knowing how values are spread until ``ANALYZE`` has run. Without it, a query
for two rare error codes was read through the time-ordered trail index (every record of a week
filtered one by one) instead of the error index; with statistics SQLite reads both codes through
their index and sorts the few rows. A job refreshes them hourly, sampling a bounded number of rows
per index so a large table costs milliseconds, not a scan. PostgreSQL's autovacuum does the same
there, so this is a no-op on PostgreSQL.
"""

from __future__ import annotations

from vigil.scheduler import Job, Scheduler
from vigil.storage.engine import Database

INTERVAL_S = 3600.0
SAMPLE_ROWS = 1000
"""Rows ANALYZE looks at per index (``PRAGMA analysis_limit``)."""


def refresh(db: Database) -> int:
    """Refresh the planner's statistics of every table (SQLite); returns 1 if it ran."""
    if db.dialect != "sqlite":
        return 0
    with db.transaction() as tx:
        tx.execute(f"PRAGMA analysis_limit = {SAMPLE_ROWS}")
        tx.execute("ANALYZE")
    return 1


def register_jobs(scheduler: Scheduler, db: Database) -> None:
    scheduler.register(Job("storage.refresh_statistics", INTERVAL_S, lambda: refresh(db)))
