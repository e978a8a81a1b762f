"""Secret consumers: a rotation queues a signed notice per consumer, retried with backoff on the test clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer
from vigil.secrets.consumers import BASE_BACKOFF_MS, MAX_ATTEMPTS
from vigil.secrets.rotation.runner import RotationResult
from vigil.secrets.service import NewSecret
from vigil.testing import LocalReceiver, Reply
from vigil.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

BACKOFF_S = BASE_BACKOFF_MS // 1000


@pytest.fixture
def rotation_hook() -> Iterator[LocalReceiver]:
    with LocalReceiver() as hook:
        yield hook


def _rotate_with_consumer(
    server: RunningServer, hook: LocalReceiver, consumer: LocalReceiver
) -> RotationResult:
    secrets, acct = server.app.services.secrets, server.account_id
    secrets.create_secret(
        acct, NewSecret("app/token", b"0ld-token", extended_config={"RotationWebhook": hook.url})
    )
    secrets.put_consumer(acct, "app/token", "billing", consumer.url)
    return server.app.services.rotations.rotate_secret(acct, "app/token")


def _notice(server: RunningServer) -> dict[str, object]:
    [notice] = server.app.services.secrets.list_notices(server.account_id, "app/token")
    return notice


def test_a_rotation_notifies_each_consumer_with_a_signed_notice(
    server: RunningServer, rotation_hook: LocalReceiver
) -> None:
    with LocalReceiver() as consumer:
        result = _rotate_with_consumer(server, rotation_hook, consumer)
        assert _notice(server)["status"] == "Pending"

        server.advance(1)

        [request] = consumer.requests
    key = server.app.services.webhook_key
    assert verify(
        key,
        request.headers[TIMESTAMP_HEADER.lower()],
        request.body,
        request.headers[SIGNATURE_HEADER.lower()],
    )
    body = request.json()
    assert body["Event"] == "SecretVersionChanged"
    assert (body["SecretName"], body["VersionId"], body["Consumer"]) == (
        "app/token",
        result.version_id,
        "billing",
    )
    assert "0ld-token" not in request.body.decode()
    notice = _notice(server)
    assert (notice["status"], notice["attempts"], notice["last_error"]) == ("Success", 1, "")


def test_a_consumer_that_fails_twice_is_retried_after_the_backoff(
    server: RunningServer, rotation_hook: LocalReceiver
) -> None:
    with LocalReceiver(Reply(500), Reply(503)) as consumer:
        _rotate_with_consumer(server, rotation_hook, consumer)
        server.advance(1)
        assert (_notice(server)["status"], _notice(server)["attempts"]) == ("Pending", 1)
        assert "HTTP 500" in str(_notice(server)["last_error"])

        server.advance(BACKOFF_S // 2)  # not due yet
        assert len(consumer.requests) == 1
        server.advance(BACKOFF_S)
        server.advance(2 * BACKOFF_S)

        assert len(consumer.requests) == 3
    notice = _notice(server)
    assert (notice["status"], notice["attempts"]) == ("Success", 3)


def test_a_consumer_that_always_fails_is_given_up_after_five_attempts(
    server: RunningServer, rotation_hook: LocalReceiver
) -> None:
    with LocalReceiver(default=Reply(500)) as consumer:
        _rotate_with_consumer(server, rotation_hook, consumer)
        server.advance(1)
        for attempt in range(1, MAX_ATTEMPTS):
            server.advance(BACKOFF_S * 2 ** (attempt - 1))
        server.advance(86400)

        assert len(consumer.requests) == MAX_ATTEMPTS == 5
    notice = _notice(server)
    assert (notice["status"], notice["attempts"]) == ("Failed", 5)
    assert "HTTP 500" in str(notice["last_error"])
