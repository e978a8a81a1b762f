"""The email channel against a real SMTP sink speaking to stdlib smtplib."""

from __future__ import annotations

import json

import pytest

from vigil.alerting.notifiers import Message, Reason, SmtpOptions
from vigil.alerting.notifiers.email import EmailNotifier
from vigil.settings import Secret
from vigil.testing import SmtpSink

TO = {"to": "oncall@example.com"}


def options(sink: SmtpSink, username: str | None = None, password: Secret | None = None) -> SmtpOptions:
    sender = "Vigil <vigil@alerts.example.com>"
    return SmtpOptions(sink.host, sink.port, sender, username, password, timeout_s=5.0)


def test_a_delivery_arrives_as_one_plain_text_mail(message: Message) -> None:
    with SmtpSink() as sink:
        outcome = EmailNotifier(options(sink)).send(TO, message)
        [mail] = sink.wait_for(1)
    assert outcome.ok and outcome.reason is Reason.NONE
    assert mail.sender == "vigil@alerts.example.com"
    assert mail.recipients == ("oncall@example.com",)
    parsed = mail.message()
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "oncall@example.com"
    assert parsed["X-Vigil-Delivery"] == "dlv-0001"
    assert parsed["Message-ID"] == "<dlv-0001@alerts.example.com>"
    body = parsed.get_content().replace("\r\n", "\n")  # the wire form has CRLF line ends
    assert body.startswith(message.text)
    assert json.loads(body[len(message.text) :]) == message.payload
    assert '\n  "product": "KMS"' in body  # pretty-printed


def test_a_subject_with_line_breaks_stays_one_header_line(message: Message) -> None:
    tricky = Message(message.delivery_id, "line one\r\nBcc: evil@example.com", message.payload, "t")
    with SmtpSink() as sink:
        assert EmailNotifier(options(sink)).send(TO, tricky).ok
        [mail] = sink.wait_for(1)
    assert mail.message()["Subject"] == "line one Bcc: evil@example.com"
    assert mail.message()["Bcc"] is None


def test_a_deferral_451_is_retryable_and_the_retry_is_delivered(message: Message) -> None:
    with SmtpSink(451) as sink:
        notifier = EmailNotifier(options(sink))
        first = notifier.send(TO, message)
        second = notifier.send(TO, message)
        assert len(sink.wait_for(1)) == 1
    assert (first.ok, first.retryable, first.reason) == (False, True, Reason.REJECTED)
    assert "451" in first.error
    assert second.ok


def test_a_permanent_550_is_not_retried(message: Message) -> None:
    with SmtpSink(550) as sink:
        outcome = EmailNotifier(options(sink)).send(TO, message)
        assert sink.messages == []
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.REJECTED)
    assert "550" in outcome.error


def test_an_unreachable_server_is_a_retryable_network_failure(message: Message, closed_port: int) -> None:
    notifier = EmailNotifier(SmtpOptions("127.0.0.1", closed_port, timeout_s=2.0))
    outcome = notifier.send(TO, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, True, Reason.NETWORK)


def test_login_against_a_server_without_auth_is_unsupported_and_keeps_the_password_out(
    message: Message,
) -> None:
    with SmtpSink() as sink:
        notifier = EmailNotifier(options(sink, username="vigil", password=Secret("sm7p-pa55word")))
        outcome = notifier.send(TO, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.UNSUPPORTED)
    assert "sm7p-pa55word" not in outcome.error
    assert "sm7p-pa55word" not in repr(options(sink, "vigil", Secret("sm7p-pa55word")))


def test_without_smtp_every_email_address_is_invalid(message: Message) -> None:
    notifier = EmailNotifier(None)
    assert notifier.check(TO) == "no SMTP server is configured, so email cannot be sent"
    outcome = notifier.send(TO, message)
    assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)


@pytest.mark.parametrize(
    "to",
    [
        "",
        "no-at-sign",
        "a@",
        "@example.com",
        "a@b.c, d@e.f",
        "a@b.c\r\nBcc: x@y.z",
        "Name <a@b.c>",
        "a@nodot",
    ],
    ids=["empty", "no-at", "no-domain", "no-user", "two", "header-injection", "display-name", "no-dot"],
)
def test_recipients_that_can_never_work_are_invalid(to: str, message: Message) -> None:
    notifier = EmailNotifier(SmtpOptions("127.0.0.1"))
    assert notifier.check({"to": to})
    assert notifier.send({"to": to}, message).reason is Reason.MISCONFIGURED


def test_good_recipients_pass_the_check() -> None:
    notifier = EmailNotifier(SmtpOptions("127.0.0.1"))
    assert notifier.check({"to": "first.last+alerts@mail.example.co.uk"}) is None
    assert notifier.check({"to": "root@localhost"}) is None


def test_ssl_and_starttls_together_are_refused() -> None:
    with pytest.raises(ValueError, match="exclusive"):
        SmtpOptions("mail.example.com", 465, ssl=True, starttls=True)


def test_an_empty_host_is_refused() -> None:
    with pytest.raises(ValueError, match="host"):
        SmtpOptions("")
