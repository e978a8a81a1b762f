"""The registry the delivery engine looks notifiers up in."""

from __future__ import annotations

import pytest

from vigil.alerting.notifiers import Channel, Message, Notifiers, Reason, SmtpOptions, safe_origin
from vigil.testing import LocalReceiver

KEY = b"registry-key-0123456789abcdef012"


def test_every_channel_has_a_notifier_that_says_it_is_that_channel() -> None:
    notifiers = Notifiers.create(KEY, SmtpOptions("127.0.0.1"), timeout_s=2.0)
    try:
        for channel in Channel:
            assert notifiers.get(channel).channel is channel
        assert KEY.decode() not in repr(notifiers)
    finally:
        notifiers.close()
        notifiers.close()  # twice is harmless


def test_without_smtp_email_addresses_are_invalid_and_other_channels_still_work(message: Message) -> None:
    notifiers = Notifiers.create(KEY, None, timeout_s=2.0)
    try:
        assert notifiers.get(Channel.EMAIL).check({"to": "oncall@example.com"})
        with LocalReceiver() as receiver:
            assert notifiers.get(Channel.WEBHOOK).send({"url": receiver.url}, message).ok
            assert notifiers.get(Channel.CHAT).send({"url": receiver.url}, message).ok
            assert len(receiver.wait_for(2)) == 2
    finally:
        notifiers.close()


def test_a_registry_built_by_hand_only_knows_what_it_was_given() -> None:
    notifiers = Notifiers([])
    with pytest.raises(KeyError, match="webhook"):
        notifiers.get(Channel.WEBHOOK)


def test_send_never_raises_on_an_address_missing_its_keys(message: Message) -> None:
    notifiers = Notifiers.create(KEY, SmtpOptions("127.0.0.1"), timeout_s=2.0)
    try:
        for channel in Channel:
            outcome = notifiers.get(channel).send({}, message)
            assert (outcome.ok, outcome.retryable, outcome.reason) == (False, False, Reason.MISCONFIGURED)
    finally:
        notifiers.close()


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://user:pw@hooks.example.com:8443/a/b?token=t#frag", "https://hooks.example.com:8443/a/b"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("http://[::1]:8080/hook?x=1", "http://[::1]:8080/hook"),
        ("nonsense", "the configured address"),
    ],
    ids=["userinfo-query-fragment", "redis-password", "ipv6", "no-scheme"],
)
def test_safe_origin_drops_userinfo_query_and_fragment(url: str, origin: str) -> None:
    assert safe_origin(url) == origin
