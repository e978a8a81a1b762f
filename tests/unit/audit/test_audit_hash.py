"""The redactor's hash is HMAC-SHA256 keyed with the deployment's salt, whatever the salt's length
(a salt longer than SHA-256's block is hashed first, as RFC 2104 says)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from vigil.audit.redaction import HASH_PREFIX, Redactor


@pytest.mark.parametrize("salt", [b"", b"s", b"salt" * 8, b"k" * 64, b"long" * 40], ids=len)
@pytest.mark.parametrize("value", ["", "aGVsbG8=", "é" * 70, b"\x00\xff" * 40], ids=repr)
def test_the_hash_is_hmac_sha256_of_the_value(salt: bytes, value: str | bytes) -> None:
    data = value.encode() if isinstance(value, str) else value
    assert Redactor(salt).hash(value) == HASH_PREFIX + hmac.new(salt, data, hashlib.sha256).hexdigest()


def test_hashing_one_value_leaves_the_next_untouched() -> None:
    redactor = Redactor(b"salt" * 8)
    first = redactor.hash("one")
    assert redactor.hash("two") != first and redactor.hash("one") == first
