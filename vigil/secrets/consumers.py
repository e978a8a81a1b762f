"""Telling registered secret consumers (webhooks) that a secret's current version changed.

Notices are queued in the transaction that promotes the version and delivered by a job,
with retries and exponential backoff; each outcome is recorded (Success or Failed) so the
event center can publish KMS:NotifyReferenceCloudProduct:Success / Failed.
"""

from __future__ import annotations

from vigil.clock import Clock, iso
from vigil.secrets import store, versions
from vigil.secrets.events import SecretEvents
from vigil.storage.engine import Database, Tx
from vigil.webhooks import WebhookSender

MAX_ATTEMPTS = 5
BASE_BACKOFF_MS = 10_000


class ConsumerNotifier:
    def __init__(self, db: Database, clock: Clock, sender: WebhookSender, events: SecretEvents) -> None:
        self._db = db
        self._clock = clock
        self._sender = sender
        self._events = events

    def deliver_due_notices(self, limit: int = 100) -> int:
        """Send every notice that is due; returns how many were attempted."""
        with self._db.transaction(write=False) as tx:
            due = store.due_notices(tx, self._clock.now_ms(), limit)
        for notice in due:
            payload = {
                "Event": "SecretVersionChanged",
                "SecretName": notice["secret_name"],
                "VersionId": notice["version_id"],
                "Consumer": notice["consumer_name"],
                "Time": iso(notice["created_at"]),
            }
            outcome = self._sender.post(notice["webhook_url"], payload)
            self._record(notice, outcome.ok, outcome.error)
        return len(due)

    def _record(self, notice: dict[str, object], ok: bool, error: str) -> None:
        now = self._clock.now_ms()
        attempts = int(str(notice["attempts"])) + 1
        if ok:
            status, next_at = "Success", now
        elif attempts >= MAX_ATTEMPTS:
            status, next_at = "Failed", now
        else:
            status, next_at = "Pending", now + BASE_BACKOFF_MS * 2 ** (attempts - 1)
        with self._db.transaction() as tx:
            store.update_notice(tx, str(notice["notice_id"]), status, attempts, error, next_at, now)
            if status != "Pending":
                self._raise_outcome(tx, notice, status == "Success", error, now)

    def _raise_outcome(self, tx: Tx, notice: dict[str, object], ok: bool, error: str, now: int) -> None:
        account_id, name = str(notice["account_id"]), str(notice["secret_name"])
        secret = store.get_secret(tx, account_id, name)
        if secret is None:
            return
        previous = store.get_stages(tx, account_id, name).get(versions.PREVIOUS, "")
        self._events.consumer_notified(
            secret, str(notice["consumer_name"]), str(notice["version_id"]), previous, ok, error, now
        )
