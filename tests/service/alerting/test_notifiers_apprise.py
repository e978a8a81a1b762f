"""The Apprise channel, through Apprise's own json:// plugin to a real local receiver."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from vigil.alerting.notifiers import Message, Reason
from vigil.alerting.notifiers.apprise import AppriseNotifier
from vigil.testing import LocalReceiver, Reply


def apprise_url(receiver: LocalReceiver, scheme: str = "json") -> str:
    parts = urlsplit(receiver.url)
    return f"{scheme}://{parts.hostname}:{parts.port}{parts.path}"


def test_a_delivery_reaches_the_service_with_subject_and_text(message: Message) -> None:
    with LocalReceiver() as receiver:
        outcome = AppriseNotifier(timeout_s=5.0).send({"url": apprise_url(receiver)}, message)
        [request] = receiver.wait_for(1)
    assert outcome.ok and outcome.reason is Reason.NONE
    body = request.json()
    assert body["title"] == message.subject
    assert body["message"] == message.text


def test_a_failing_service_is_retried_because_apprise_only_says_no(message: Message) -> None:
    with LocalReceiver(default=Reply(500)) as receiver:
        outcome = AppriseNotifier(timeout_s=5.0).send({"url": apprise_url(receiver)}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.NETWORK)
    assert "127.0.0.1" in outcome.error


def test_an_unreachable_service_is_retried(message: Message, closed_port: int) -> None:
    outcome = AppriseNotifier(timeout_s=2.0).send({"url": f"json://127.0.0.1:{closed_port}/hook"}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.NETWORK)


def test_errors_use_apprises_privacy_form(message: Message, closed_port: int) -> None:
    url = f"json://alerts:hunter2@127.0.0.1:{closed_port}/hook?-X-Token=s3cret"
    outcome = AppriseNotifier(timeout_s=2.0).send({"url": url}, message)
    assert not outcome.ok
    assert "hunter2" not in outcome.error and "s3cret" not in outcome.error


@pytest.mark.parametrize(
    "url",
    ["", "nonsense://whatever", "not a url at all", "tgram://"],
    ids=["empty", "scheme", "garbage", "tgram-no-token"],
)
def test_urls_apprise_does_not_recognise_are_invalid(url: str, message: Message) -> None:
    notifier = AppriseNotifier(timeout_s=1.0)
    assert notifier.check({"url": url})
    outcome = notifier.send({"url": url}, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)


def test_urls_apprise_recognises_pass_the_check() -> None:
    notifier = AppriseNotifier(timeout_s=1.0)
    assert notifier.check({"url": "json://127.0.0.1:8080/hook"}) is None
    assert notifier.check({"url": "tgram://123456789:abcdefghijklmnopqrstuvwxyz0123456789/12345"}) is None
