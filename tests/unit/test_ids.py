"""Identifier formats: random UUIDs drawn from the buffered CSPRNG read as version 4 UUIDs."""

from __future__ import annotations

import uuid

from vigil import ids


def test_random_uuids_are_version_4_in_their_canonical_form() -> None:
    drawn = [ids.random_uuid() for _ in range(2000)]
    for text in drawn:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
    assert len(set(drawn)) == len(drawn)
    assert {text[19] for text in drawn} == set("89ab")


def test_time_ordered_uuids_drawn_together_are_version_7_of_their_moment() -> None:
    moment = 1_767_225_600_123
    together = ids.time_ordered_uuids(moment, 500)  # 5,000 random bytes: past the buffer's 1 KB
    alone = [ids.time_ordered_uuid(moment + 1) for _ in range(3)]
    for text in together + alone:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert str(parsed) == text
    assert {uuid.UUID(t).int >> 80 for t in together} == {moment}
    assert len(set(together)) == len(together)
    assert max(together) < min(alone)  # a later moment sorts later
    assert ids.time_ordered_uuids(moment, 0) == []
