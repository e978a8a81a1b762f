"""LookupEvents against the seeded trail on SQLite and PostgreSQL: each attribute, several together,
both directions, pages that continue where the last ended, and what a lookup never returns (another
account's records). The trail holds every call, data-plane calls kept in an instance's log store too."""

from __future__ import annotations

import pytest

from tests.service.audit.audit_seeds import (
    ACCOUNT,
    INSTANCE,
    KEY,
    MINUTE,
    SECRETS_INSTANCE,
    SEEDS,
    T0,
    WINDOW,
    Seeded,
)
from vigil.audit import store
from vigil.audit.model import Direction
from vigil.audit.store import Cursor, InvalidCursor, InvalidLookupAttribute

TRAIL = [name for name in SEEDS if name != "other account encrypt"]
SECRETS = ["get secret", "get prod secret", "get other secret", "get secret backup"]


def lookup(seeded: Seeded, attributes: list[tuple[str, str]], **options: object) -> list[str]:
    with seeded.db.transaction(write=False) as tx:
        page = store.lookup(tx, ACCOUNT, attributes, *WINDOW, limit=100, **options)  # type: ignore[arg-type]
    return seeded.names(page.records)


def oldest_first(names: list[str]) -> list[str]:
    return [name for name in SEEDS if name in names]


CASES = [
    ([], TRAIL, "no-attribute"),
    (
        [("ServiceName", "Kms")],
        [n for n in TRAIL if n not in ("cms rejected disabled", "csms get secret", "lookup events")],
        "service-name",
    ),
    ([("ServiceName", "cms")], ["cms rejected disabled"], "service-name-any-case"),
    ([("EventName", "GetSecretValue")], [*SECRETS, "csms get secret"], "event-name"),
    ([("EventName", "getsecretvalue")], [], "event-name-is-case-sensitive"),
    ([("User", "bob")], ["decrypt by bob", "get prod secret"], "user"),
    ([("User", "carol")], ["instance encrypt"], "user-of-an-instance-record"),
    (
        [("EventName", "Decrypt")],
        ["decrypt by bob", "sibling key decrypt", "decrypt rejected pending deletion"],
        "event-name-of-a-data-plane-call",
    ),
    ([("EventId", "ev-05-encrypt-rejected-disabled")], ["encrypt rejected disabled"], "event-id"),
    (
        [("ResourceType", "ACS::KMS::Secret")],
        [*SECRETS, "put secret value", "csms get secret"],
        "resource-type",
    ),
    (
        [("ResourceName", KEY)],
        [
            "encrypt",
            "decrypt by bob",
            "disable key (write)",
            "encrypt rejected disabled",
            "generate data key rejected unavailable",
            "generate data key",
            "chinese description",
            "instance encrypt",
        ],
        "resource-name",
    ),
    (
        [("EventRW", "Write")],
        [
            "disable key (write)",
            "put secret value",
            "scheduled deletion (service event)",
            "chinese description",
        ],
        "event-rw",
    ),
    ([("EventAccessKeyId", "LTAI5tBobAccessKey000002")], ["decrypt by bob"], "access-key"),
    ([("ServiceName", "Kms"), ("EventName", "GetSecretValue")], SECRETS, "two-attributes"),
    ([("ResourceName", KEY), ("EventName", "Decrypt")], ["decrypt by bob"], "who-decrypted-with-a-key"),
    ([("EventName", "Encrypt"), ("EventName", "Decrypt")], [], "the-same-key-twice"),
]


@pytest.mark.parametrize(("attributes", "expected"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_each_attribute_finds_exactly_its_records_newest_first(
    seeded: Seeded, attributes: list[tuple[str, str]], expected: list[str]
) -> None:
    assert lookup(seeded, attributes) == oldest_first(expected)[::-1]


def test_forward_returns_the_oldest_first(seeded: Seeded) -> None:
    assert lookup(seeded, [("User", "bob")], direction=Direction.FORWARD) == [
        "decrypt by bob",
        "get prod secret",
    ]


def test_the_window_includes_its_start_and_excludes_its_end(seeded: Seeded) -> None:
    with seeded.db.transaction(write=False) as tx:
        page = store.lookup(tx, ACCOUNT, [], T0 + MINUTE, T0 + 3 * MINUTE)
    assert seeded.names(page.records) == ["sibling key decrypt", "decrypt by bob"]


@pytest.mark.parametrize("direction", list(Direction))
def test_pages_continue_where_the_last_ended(seeded: Seeded, direction: Direction) -> None:
    seen: list[str] = []
    after: Cursor | None = None
    with seeded.db.transaction(write=False) as tx:
        for _ in range(len(TRAIL)):
            page = store.lookup(tx, ACCOUNT, [], *WINDOW, direction=direction, limit=3, after=after)
            seen += seeded.names(page.records)
            if page.next is None:
                break
            after = Cursor.parse(page.next.token())
    expected = TRAIL if direction is Direction.FORWARD else TRAIL[::-1]
    assert seen == expected


def test_a_page_that_ends_the_results_has_no_cursor(seeded: Seeded) -> None:
    with seeded.db.transaction(write=False) as tx:
        exact = store.lookup(tx, ACCOUNT, [("User", "bob")], *WINDOW, limit=2)
        short = store.lookup(tx, ACCOUNT, [("User", "bob")], *WINDOW, limit=1)
    assert exact.next is None
    assert short.next is not None


def test_records_read_back_equal_what_was_written(seeded: Seeded) -> None:
    with seeded.db.transaction(write=False) as tx:
        page = store.lookup(tx, ACCOUNT, [], *WINDOW, limit=100)
    for record in page.records:
        assert record == next(r for r in seeded.records.values() if r.event_id == record.event_id)
    assert {r.instance_id for r in page.records} == {"", INSTANCE, SECRETS_INSTANCE}, "both kinds of record"


@pytest.mark.parametrize("token", ["", "abc", "1-2-3", "12", "-1-2", "1" * 16 + "-1"])
def test_a_cursor_no_page_gave_out_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        Cursor.parse(token)


def test_an_unknown_attribute_key_is_refused(seeded: Seeded) -> None:
    with seeded.db.transaction(write=False) as tx, pytest.raises(InvalidLookupAttribute, match="Region"):
        store.lookup(tx, ACCOUNT, [("Region", "cn-hangzhou")], *WINDOW)
