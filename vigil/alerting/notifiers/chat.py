"""The chat channel: DingTalk, Slack, Feishu/Lark, WeCom and generic chat webhooks.

The body is shaped by the webhook's host (or an explicit ``flavor`` in the address, for a proxy in
front of one of them); a vendor's error code inside an HTTP 200 answer is a failure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from vigil.alerting.notifiers.base import (
    DELIVERY_HEADER,
    Channel,
    Message,
    Outcome,
    Reason,
    compact_json,
    safe_origin,
    url_problem,
)
from vigil.alerting.notifiers.transport import HttpTransport

HTTP_SCHEMES = frozenset({"http", "https"})


class Flavor(StrEnum):
    DINGTALK = "dingtalk"
    SLACK = "slack"
    FEISHU = "feishu"
    WECOM = "wecom"
    GENERIC = "generic"


HOSTS: Mapping[str, Flavor] = {
    "oapi.dingtalk.com": Flavor.DINGTALK,
    "hooks.slack.com": Flavor.SLACK,
    "open.feishu.cn": Flavor.FEISHU,
    "open.larksuite.com": Flavor.FEISHU,
    "qyapi.weixin.qq.com": Flavor.WECOM,
}

# Codes these vendors answer when a bot sends too fast; waiting is the cure, so they are retried.
# DingTalk 130101/410100 "send too fast", WeCom 45009 "api freq out of limit", Feishu 11232
# "frequency limited". Every other non-zero code (bad token, keyword or signature check) is final.
RATE_LIMIT_CODES: Mapping[Flavor, frozenset[int]] = {
    Flavor.DINGTALK: frozenset({130101, 410100}),
    Flavor.WECOM: frozenset({45009}),
    Flavor.FEISHU: frozenset({11232}),
}

# Slack and generic receivers say no with an HTTP status, so only these bodies are read.
# Feishu answers {"code", "msg"}; its older hooks answered {"StatusCode", "StatusMessage"}.
_CODE_FIELDS: Mapping[Flavor, tuple[tuple[str, str], ...]] = {
    Flavor.DINGTALK: (("errcode", "errmsg"),),
    Flavor.WECOM: (("errcode", "errmsg"),),
    Flavor.FEISHU: (("code", "msg"), ("StatusCode", "StatusMessage")),
}


def flavor_of(address: Mapping[str, str]) -> Flavor:
    """The explicit ``flavor`` of the address, else the one its host implies."""
    if "flavor" in address:
        return Flavor(address["flavor"])
    host = (urlsplit(address["url"]).hostname or "").lower()
    return HOSTS.get(host, Flavor.GENERIC)


def chat_body(flavor: Flavor, message: Message) -> dict[str, Any]:
    headline = f"{message.subject}\n\n{message.text}"
    match flavor:
        case Flavor.DINGTALK:
            return {"msgtype": "markdown", "markdown": {"title": message.subject, "text": message.text}}
        case Flavor.SLACK:
            return {"text": headline}
        case Flavor.FEISHU:
            return {"msg_type": "text", "content": {"text": headline}}
        case Flavor.WECOM:
            return {
                "msgtype": "markdown",
                "markdown": {"content": f"**{message.subject}**\n\n{message.text}"},
            }
        case Flavor.GENERIC:
            return {"title": message.subject, "text": message.text, "event": message.payload}


def vendor_code(flavor: Flavor, body: bytes) -> tuple[int, str] | None:
    """The non-zero error code and message a vendor put in a 2xx answer, or None."""
    fields = _CODE_FIELDS.get(flavor)
    if not fields:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    for code_field, text_field in fields:
        code = answer.get(code_field)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            return code, str(answer.get(text_field, ""))
    return None


class ChatNotifier:
    channel = Channel.CHAT

    def __init__(self, transport: HttpTransport) -> None:
        self._transport = transport

    def check(self, address: Mapping[str, str]) -> str | None:
        if "flavor" in address and address["flavor"] not in set(Flavor):
            return f"unknown chat flavor {address['flavor'][:20]!r}; one of {', '.join(Flavor)}"
        return url_problem(address.get("url"), HTTP_SCHEMES)

    def send(self, address: Mapping[str, str], message: Message) -> Outcome:
        problem = self.check(address)
        if problem is not None:
            return Outcome.invalid(problem)
        flavor = flavor_of(address)
        try:
            body = compact_json(chat_body(flavor, message))
        except (TypeError, ValueError):
            return Outcome.failure(Reason.REJECTED, "the event is not valid JSON", 0.0, retryable=False)
        url = address["url"]
        # Slack and Feishu carry the bot's token in the path, so errors name only the host
        origin = safe_origin(url, path=False)
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: message.delivery_id}
        answer = self._transport.exchange("POST", url, origin, headers=headers, content=body)
        refused = vendor_code(flavor, answer.body) if answer.outcome.ok else None
        if refused is None:
            return answer.outcome
        code, text = refused
        retryable = code in RATE_LIMIT_CODES.get(flavor, frozenset())
        error = f"{origin} refused the message: {flavor} error {code} {text}"
        return Outcome.failure(Reason.REJECTED, error, answer.outcome.latency_ms, retryable=retryable)
