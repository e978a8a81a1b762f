"""The chat channel: bodies per vendor and vendor error codes, against a real local receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from vigil.alerting.notifiers import Message, Reason
from vigil.alerting.notifiers.chat import ChatNotifier, Flavor, flavor_of
from vigil.alerting.notifiers.transport import HttpTransport
from vigil.testing import LocalReceiver, Reply


@pytest.fixture
def notifier() -> Iterator[ChatNotifier]:
    transport = HttpTransport(timeout_s=5.0)
    yield ChatNotifier(transport)
    transport.close()


@pytest.mark.parametrize(
    ("url", "flavor"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=t", Flavor.DINGTALK),
        ("https://hooks.slack.com/services/T0/B0/x", Flavor.SLACK),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/x", Flavor.FEISHU),
        ("https://open.larksuite.com/open-apis/bot/v2/hook/x", Flavor.FEISHU),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Flavor.WECOM),
        ("https://OAPI.DingTalk.com/robot/send", Flavor.DINGTALK),
        ("https://chat.example.com/hook", Flavor.GENERIC),
        ("https://oapi.dingtalk.com.evil.example/robot/send", Flavor.GENERIC),
    ],
    ids=["dingtalk", "slack", "feishu", "lark", "wecom", "host-case", "generic", "lookalike-host"],
)
def test_the_host_picks_the_body(url: str, flavor: Flavor) -> None:
    assert flavor_of({"url": url}) is flavor


def test_an_explicit_flavor_wins_over_the_host() -> None:
    assert flavor_of({"url": "https://proxy.example.com/ding", "flavor": "dingtalk"}) is Flavor.DINGTALK


def expected_body(flavor: Flavor, message: Message) -> dict[str, Any]:
    both = f"{message.subject}\n\n{message.text}"
    return {
        Flavor.DINGTALK: {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": message.text},
        },
        Flavor.SLACK: {"text": both},
        Flavor.FEISHU: {"msg_type": "text", "content": {"text": both}},
        Flavor.WECOM: {
            "msgtype": "markdown",
            "markdown": {"content": f"**{message.subject}**\n\n{message.text}"},
        },
        Flavor.GENERIC: {"title": message.subject, "text": message.text, "event": message.payload},
    }[flavor]


@pytest.mark.parametrize("flavor", list(Flavor), ids=str)
def test_each_vendor_gets_its_own_body(
    notifier: ChatNotifier, message: Message, flavor: Flavor, shared_receiver: LocalReceiver
) -> None:
    shared_receiver.push(Reply(200, {"errcode": 0, "code": 0}))
    outcome = notifier.send({"url": shared_receiver.url, "flavor": flavor}, message)
    request = shared_receiver.requests[-1]
    assert outcome.ok
    assert request.json() == expected_body(flavor, message)
    assert request.headers["x-vigil-delivery"] == "dlv-0001"


def test_a_generic_receiver_on_an_unknown_host_gets_title_text_and_event(
    notifier: ChatNotifier, message: Message
) -> None:
    with LocalReceiver() as receiver:
        assert notifier.send({"url": receiver.url}, message).ok
        assert receiver.wait_for(1)[0].json()["event"] == message.payload


@pytest.mark.parametrize(
    ("flavor", "answer", "retryable"),
    [
        (Flavor.DINGTALK, {"errcode": 310000, "errmsg": "keywords not in content"}, False),
        (Flavor.DINGTALK, {"errcode": 300001, "errmsg": "token is not exist"}, False),
        (Flavor.DINGTALK, {"errcode": 130101, "errmsg": "send too fast"}, True),
        (Flavor.DINGTALK, {"errcode": 410100, "errmsg": "send too fast"}, True),
        (Flavor.WECOM, {"errcode": 93000, "errmsg": "invalid webhook url"}, False),
        (Flavor.WECOM, {"errcode": 45009, "errmsg": "api freq out of limit"}, True),
        (Flavor.FEISHU, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
        (Flavor.FEISHU, {"StatusCode": 19024, "StatusMessage": "Key Words Not Found"}, False),
        (Flavor.FEISHU, {"code": 11232, "msg": "frequency limited"}, True),
    ],
    ids=["ding-keyword", "ding-token", "ding-130101", "ding-410100", "wecom-url", "wecom-freq",
         "feishu-sign", "feishu-old-keyword", "feishu-freq"],
)  # fmt: skip
def test_an_error_code_inside_http_200_is_a_failure(
    notifier: ChatNotifier,
    message: Message,
    flavor: Flavor,
    answer: dict[str, Any],
    retryable: bool,
    shared_receiver: LocalReceiver,
) -> None:
    shared_receiver.push(Reply(200, answer))
    outcome = notifier.send({"url": shared_receiver.url, "flavor": flavor}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, retryable, Reason.REJECTED)
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode")))
    assert f"error {code}" in outcome.error


@pytest.mark.parametrize(
    "answer",
    [{"errcode": 0, "errmsg": "ok"}, {}, b"ok", b"not json", [1, 2]],
    ids=["zero", "empty", "ok", "text", "list"],
)
def test_a_dingtalk_answer_without_an_error_code_is_success(
    notifier: ChatNotifier, message: Message, answer: Any, shared_receiver: LocalReceiver
) -> None:
    shared_receiver.push(Reply(200, answer))
    assert notifier.send({"url": shared_receiver.url, "flavor": "dingtalk"}, message).ok


def test_http_failures_follow_the_webhook_rules(notifier: ChatNotifier, message: Message) -> None:
    with LocalReceiver(Reply(503), Reply(404, b"no_service")) as receiver:
        busy = notifier.send({"url": receiver.url, "flavor": "slack"}, message)
        gone = notifier.send({"url": receiver.url, "flavor": "slack"}, message)
    assert (busy.retryable, busy.reason) == (True, Reason.HTTP_STATUS)
    assert (gone.retryable, gone.reason) == (False, Reason.REJECTED)


def test_errors_name_only_the_host_because_chat_tokens_live_in_path_and_query(
    notifier: ChatNotifier, message: Message
) -> None:
    with LocalReceiver(default=Reply(200, {"errcode": 310000, "errmsg": "sign not match"})) as receiver:
        port = urlsplit(receiver.url).port
        url = f"http://127.0.0.1:{port}/services/T000/B000/XOXB-PATH-TOKEN?access_token=QUERY-TOKEN"
        outcome = notifier.send({"url": url, "flavor": "dingtalk"}, message)
    assert not outcome.ok
    assert f"http://127.0.0.1:{port}" in outcome.error
    assert "PATH-TOKEN" not in outcome.error and "QUERY-TOKEN" not in outcome.error
    assert "Rotation" not in outcome.error


@pytest.mark.parametrize(
    "address",
    [
        {},
        {"url": "oapi.dingtalk.com/robot/send"},
        {"url": "ws://chat.example.com"},
        {"url": "https://x.example", "flavor": "telegram"},
    ],
    ids=["no-url", "no-scheme", "ws", "unknown-flavor"],
)
def test_addresses_that_can_never_work_are_invalid(
    notifier: ChatNotifier, message: Message, address: dict[str, str]
) -> None:
    assert notifier.check(address)
    outcome = notifier.send(address, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)
