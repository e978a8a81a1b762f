"""The signed webhook channel: the scheme of ``vigil.webhooks`` (timestamp + HMAC-SHA256 v1) with
the event as a POST body, or for GET as the ``event`` query parameter, which is what gets signed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from vigil.alerting.notifiers.base import (
    DELIVERY_HEADER,
    Channel,
    Message,
    Outcome,
    Reason,
    safe_origin,
    url_problem,
)
from vigil.alerting.notifiers.transport import HttpTransport
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

METHODS = frozenset({"POST", "GET"})
HTTP_SCHEMES = frozenset({"http", "https"})
EVENT_PARAM = "event"


class WebhookNotifier:
    channel = Channel.WEBHOOK

    def __init__(self, key: bytes, transport: HttpTransport) -> None:
        self._key = key
        self._transport = transport

    def __repr__(self) -> str:
        return "WebhookNotifier(key='**********')"

    def check(self, address: Mapping[str, str]) -> str | None:
        method = _method(address)
        if method not in METHODS:
            return f"the webhook method must be POST or GET, not {method[:10]!r}"
        return url_problem(address.get("url"), HTTP_SCHEMES)

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None:
            return Outcome.invalid(problem)
        try:
            event = message.body
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the event is not valid JSON", 0.0, retryable=False)
        url = address["url"]
        stamp = str(int(time.time()))  # wall time: receivers check freshness against their own clock
        headers = {
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature(self._key, stamp, event),
            DELIVERY_HEADER: message.delivery_id,
        }
        if _method(address) == "GET":
            params = {EVENT_PARAM: event.decode()}
            answer = self._transport.exchange("GET", url, safe_origin(url), headers=headers, params=params)
        else:
            headers["Content-Type"] = "application/json"
            answer = self._transport.exchange("POST", url, safe_origin(url), headers=headers, content=event)
        return answer.outcome


def _method(address: Mapping[str, str]) -> str:
    return (address.get("method") or "POST").upper()  # CMS leaves it blank for the default
