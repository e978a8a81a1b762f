"""Shared pieces of the notifier tests: a sample alert message and a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from vigil.alerting.notifiers import Message
from vigil.testing import LocalReceiver


@pytest.fixture
def message() -> Message:
    return Message(
        delivery_id="dlv-0001",
        subject="[CRITICAL] Secret:RotateSecret:Failure acs:kms:cn-hangzhou:123:secret/db",
        payload={
            "product": "KMS",
            "name": "Secret:RotateSecret:Failure",
            "level": "CRITICAL",
            "content": {"secretName": "db", "note": "ünïcode ✓"},
        },
        text="Rotation of secret db failed.\nThe previous version is still current.",
    )


@pytest.fixture
def closed_port() -> int:
    """A loopback port that was just free, so a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[LocalReceiver]:
    """One receiver for a module's table tests (closing one takes half a second); each test
    pushes the replies it needs and reads ``requests[-1]``."""
    with LocalReceiver() as receiver:
        yield receiver
