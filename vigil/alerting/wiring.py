"""Building the alerting subsystem from settings: notifiers, router, pipeline, deliveries, worker."""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from vigil.alerting.deliveries import Deliveries, DeliveryOptions
from vigil.alerting.dryrun import DryRun
from vigil.alerting.jobs import Retention, register_jobs
from vigil.alerting.notifiers import Notifiers
from vigil.alerting.notifiers.email import SmtpOptions
from vigil.alerting.pipeline import Dispatcher
from vigil.alerting.router import Router
from vigil.alerting.service import AlertingService
from vigil.alerting.targets import Brokers, TargetResolver
from vigil.alerting.worker import AlertWorker, WakeSignal
from vigil.clock import Clock
from vigil.errors import InvalidArgument
from vigil.scheduler import Scheduler
from vigil.settings import Secret, Settings
from vigil.storage.engine import Database


@dataclass(slots=True)
class Alerting:
    service: AlertingService
    router: Router
    dispatcher: Dispatcher
    deliveries: Deliveries
    worker: AlertWorker
    dry_run: DryRun
    retention: Retention

    def close(self) -> None:
        self.worker.stop()
        self.deliveries.close()


def smtp_options(url: Secret | None) -> SmtpOptions | None:
    """VIGIL_SMTP_URL as SmtpOptions; raises InvalidArgument without echoing the URL."""
    if url is None:
        return None
    parts = urlsplit(url.reveal())
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        return SmtpOptions(
            host=parts.hostname or "",
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            sender=query.get("from", "vigil@localhost"),
            username=unquote(parts.username) if parts.username else None,
            password=Secret(unquote(parts.password)) if parts.password else None,
            starttls=query.get("starttls", "0") in ("1", "true", "yes"),
            ssl=parts.scheme == "smtps",
        )
    except ValueError as exc:
        raise InvalidArgument(f"VIGIL_SMTP_URL is not usable: {exc}") from None


def build_alerting(
    settings: Settings,
    db: Database,
    clock: Clock,
    scheduler: Scheduler,
    webhook_key: bytes,
    wake_signal: WakeSignal | None = None,
) -> Alerting:
    """``wake_signal``: shared with the process that runs the worker, when that is another one."""
    notifiers = Notifiers.create(webhook_key, smtp_options(settings.smtp_url))
    resolver = TargetResolver(
        notifiers, settings.data_dir / "event-logs", Brokers(settings.redis_url, settings.nats_url)
    )
    options = DeliveryOptions(
        max_attempts=settings.delivery_attempts,
        backoff_s=settings.delivery_backoff_seconds,
        lease_s=settings.delivery_lease_seconds,
    )
    deliveries = Deliveries(db, clock, notifiers, random.Random().random, options)
    wakes: list[AlertWorker] = []

    def wake() -> None:
        if wakes:
            wakes[0].wake()

    dispatcher = Dispatcher(db, clock, resolver, wake)
    worker = AlertWorker(dispatcher, deliveries, wake_signal=wake_signal)
    wakes.append(worker)
    router = Router(db, clock, wake, ttl_s=settings.cache_ttl_seconds)
    retention = Retention(db, clock, settings.notification_retention_days)
    register_jobs(scheduler, dispatcher, deliveries, retention, interval_s=settings.job_interval_seconds)
    return Alerting(
        AlertingService(db, clock, router),
        router,
        dispatcher,
        deliveries,
        worker,
        DryRun(db, clock, router, resolver, deliveries),
        retention,
    )
