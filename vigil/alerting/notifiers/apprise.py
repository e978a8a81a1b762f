"""The Apprise channel: any of the services Apprise speaks (Telegram, Discord, Teams, ntfy, …),
addressed by an Apprise URL. Apprise only reports True or False, so a failure is always retried.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import apprise

from vigil.alerting.notifiers.base import Channel, Message, Outcome, Reason, elapsed_ms, started


class AppriseNotifier:
    channel = Channel.APPRISE

    def __init__(self, timeout_s: float) -> None:
        self._timeout = timeout_s
        self._asset = apprise.AppriseAsset()
        _load_plugins(self._asset)

    def check(self, address: Mapping[str, str]) -> str | None:
        url = address.get("url")
        if not url:
            return "the address has no url"
        if self._service(url) is None:
            return "Apprise does not recognise the url (unknown scheme or missing parts)"
        return None

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        service = self._service(address.get("url", ""))
        if service is None:
            return Outcome.invalid(self.check(address) or "Apprise does not recognise the url")
        # A plugin throttles between calls on one instance, and instances are not thread-safe:
        # a fresh one per send keeps concurrent deliveries apart.
        service.socket_connect_timeout = self._timeout
        service.socket_read_timeout = self._timeout
        target = _describe(service)
        since = started()
        try:
            delivered = service.notify(body=message.text, title=message.subject)
        except Exception as exc:  # a plugin is third-party code; "never raises" holds regardless
            error = f"{type(exc).__name__} in Apprise sending to {target}"
            return Outcome.failure(Reason.NETWORK, error, elapsed_ms(since))
        if not delivered:
            return Outcome.failure(
                Reason.NETWORK, f"Apprise could not deliver to {target}", elapsed_ms(since)
            )
        return Outcome.success(elapsed_ms(since))

    def _service(self, url: str) -> apprise.NotifyBase | None:
        try:
            return apprise.Apprise.instantiate(url, asset=self._asset)
        except Exception:  # instantiate suppresses plugin errors already; this is belt and braces
            return None


def _load_plugins(asset: apprise.AppriseAsset) -> None:
    # Apprise imports every plugin on first use, and some import modules this Python deprecates
    # (imghdr): do it once here, quietly, rather than inside a delivery where warnings may be errors
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        apprise.Apprise.instantiate("json://localhost", asset=asset)


def _describe(service: apprise.NotifyBase) -> str:
    # Apprise's privacy form masks tokens and passwords; the query may hold more, so it goes too
    try:
        private = str(service.url(privacy=True)).partition("?")[0]  # type: ignore[no-untyped-call]
    except Exception:
        private = ""
    return f"{service.service_name} {private}".strip()
