"""Notification channels, one module each, and the registry the delivery engine looks them up in.

Every channel implements ``Notifier``: ``check`` says why an address can never work and ``send``
delivers once, reporting an ``Outcome`` instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from vigil.alerting.notifiers.apprise import AppriseNotifier
from vigil.alerting.notifiers.base import Channel, Message, Notifier, Outcome, Reason, safe_origin
from vigil.alerting.notifiers.chat import ChatNotifier
from vigil.alerting.notifiers.email import EmailNotifier, SmtpOptions
from vigil.alerting.notifiers.log import LogNotifier
from vigil.alerting.notifiers.nats import NatsNotifier
from vigil.alerting.notifiers.redis import RedisNotifier
from vigil.alerting.notifiers.transport import HttpTransport
from vigil.alerting.notifiers.webhook import WebhookNotifier

__all__ = [
    "Channel",
    "Message",
    "Notifier",
    "Notifiers",
    "Outcome",
    "Reason",
    "SmtpOptions",
    "safe_origin",
]


class Notifiers:
    """One notifier per channel, plus what closes their pooled clients."""

    def __init__(self, notifiers: Iterable[Notifier], closers: Iterable[Callable[[], None]] = ()) -> None:
        self._by_channel: Mapping[Channel, Notifier] = {n.channel: n for n in notifiers}
        self._closers = list(closers)

    @classmethod
    def create(cls, webhook_key: bytes, smtp: SmtpOptions | None, timeout_s: float = 10.0) -> Notifiers:
        """Every channel, sharing one HTTP pool; without ``smtp`` every email address is INVALID."""
        transport = HttpTransport(timeout_s)
        redis = RedisNotifier(timeout_s)
        nats = NatsNotifier(timeout_s)
        notifiers: list[Notifier] = [
            WebhookNotifier(webhook_key, transport),
            EmailNotifier(smtp),
            ChatNotifier(transport),
            AppriseNotifier(timeout_s),
            LogNotifier(),
            redis,
            nats,
        ]
        return cls(notifiers, [transport.close, redis.close, nats.close])

    def get(self, channel: Channel) -> Notifier:
        """Raises KeyError for a channel this registry was not given."""
        try:
            return self._by_channel[channel]
        except KeyError:
            raise KeyError(f"no notifier for channel {channel!r}") from None

    def close(self) -> None:
        """Close pooled clients (HTTP, Redis, NATS). Safe to call twice."""
        for close in self._closers:
            close()

    def __repr__(self) -> str:
        return f"Notifiers({', '.join(self._by_channel)})"
