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
