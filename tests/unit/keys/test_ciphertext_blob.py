"""The ciphertext blob: layout, binding of key and version, tampering and malformed input."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.errors import InvalidArgument
from vigil.keys.ciphertext import Envelope, context_aad, decode, encode, header
from vigil.keys.crypto import InvalidCiphertext, SymmetricKey

KEY_ID = "key-hzz65f0c3a8bcf9xxxxx"
VERSION_ID = "f6b2e4a1-1111-2222-3333-444455556666"
NONCE = bytes(range(1, 13))
KEY = SymmetricKey(bytes(range(32)))
CONTEXT = {"purpose": "test", "tenant": "a"}
FUZZ = settings(database=None, max_examples=400)


def seal(plaintext: bytes, context: Mapping[str, object] | None = None) -> bytes:
    """Encrypt the way the service does: header and context bound as AAD."""
    draft = Envelope(KEY_ID, VERSION_ID, NONCE, bytes(16))
    sealed = KEY.seal(plaintext, header(draft) + context_aad(context), NONCE)
    return encode(Envelope(KEY_ID, VERSION_ID, NONCE, sealed))


def open_blob(blob: bytes, context: Mapping[str, object] | None = None) -> bytes:
    env = decode(blob)
    return KEY.open(env.sealed, header(env) + context_aad(context), env.nonce)


def test_encode_follows_the_documented_layout() -> None:
    env = Envelope("k", "v1", NONCE, b"S" * 16)
    assert encode(env) == b"VG\x01" + b"\x01k" + b"\x02v1" + NONCE + b"S" * 16
    assert header(env) == b"VG\x01\x01k\x02v1"


def test_header_can_be_computed_before_sealing() -> None:
    assert header(Envelope(KEY_ID, VERSION_ID, NONCE, b"")) == header(decode(seal(b"data")))


def test_decode_reverses_encode() -> None:
    env = Envelope(KEY_ID, VERSION_ID, NONCE, bytes(range(40)))
    assert decode(encode(env)) == env


def test_sealed_blob_round_trips_with_its_context() -> None:
    assert open_blob(seal(b"plaintext", CONTEXT), CONTEXT) == b"plaintext"
    assert open_blob(seal(b""), None) == b""


def test_blob_names_its_key_and_version() -> None:
    env = decode(seal(b"data"))
    assert (env.key_id, env.version_id) == (KEY_ID, VERSION_ID)


def test_blob_rebuilt_with_another_key_id_or_version_fails() -> None:
    env = decode(seal(b"data"))
    for relabelled in (
        Envelope("key-other", env.version_id, env.nonce, env.sealed),
        Envelope(env.key_id, "other-version", env.nonce, env.sealed),
    ):
        with pytest.raises(InvalidCiphertext):
            open_blob(encode(relabelled))


def regions() -> list[tuple[str, int]]:
    """One flipped byte in each region of a blob: (region name, byte offset)."""
    head = len(header(Envelope(KEY_ID, VERSION_ID, NONCE, bytes(16))))
    total = head + 12 + 5 + 16
    return [
        ("magic", 0),
        ("format", 2),
        ("key-id-length", 3),
        ("key-id", 4 + len(KEY_ID) // 2),
        ("version-id-length", 4 + len(KEY_ID)),
        ("version-id", head - 1),
        ("nonce-first", head),
        ("nonce-last", head + 11),
        ("body", head + 12 + 2),
        ("tag-first", total - 16),
        ("tag-last", total - 1),
    ]


@pytest.mark.parametrize("offset", [o for _, o in regions()], ids=[name for name, _ in regions()])
@pytest.mark.parametrize("flip", [0x01, 0x80], ids=["low-bit", "high-bit"])
def test_tampering_with_any_region_is_invalid_ciphertext(offset: int, flip: int) -> None:
    blob = bytearray(seal(b"hello", CONTEXT))
    blob[offset] ^= flip
    with pytest.raises(InvalidCiphertext):
        open_blob(bytes(blob), CONTEXT)


def test_every_single_byte_flip_is_detected() -> None:
    blob = seal(b"hello", CONTEXT)
    for offset in range(len(blob)):
        tampered = bytearray(blob)
        tampered[offset] ^= 0x01
        with pytest.raises(InvalidCiphertext):
            open_blob(bytes(tampered), CONTEXT)


@pytest.mark.parametrize(
    "context",
    [None, {}, {"purpose": "other", "tenant": "a"}, {"purpose": "test"}, {"purpose": "test", "tenant": "A"}],
    ids=["none", "empty", "other-value", "missing-key", "case-differs"],
)
def test_wrong_encryption_context_is_invalid_ciphertext(context: dict[str, object] | None) -> None:
    with pytest.raises(InvalidCiphertext):
        open_blob(seal(b"hello", CONTEXT), context)


def test_truncated_blobs_are_invalid_ciphertext() -> None:
    blob = seal(b"hello")
    for length in range(len(blob)):
        with pytest.raises(InvalidCiphertext):
            open_blob(blob[:length])


MALFORMED = [
    (b"", "not a Vigil ciphertext"),
    (b"XX\x01\x01k\x01v" + bytes(28), "not a Vigil ciphertext"),
    (b"VG\x02\x01k\x01v" + bytes(28), "unknown format version 2"),
    (b"VG\x01\x00\x01v" + bytes(29), "malformed: key id must be 1 to 255"),
    (b"VG\x01\x01k\x00" + bytes(29), "malformed: version id must be 1 to 255"),
    (b"VG\x01\xffk\x01v" + bytes(28), "truncated in the key id"),
    (b"VG\x01\x01k\x01v" + bytes(27), "truncated"),
    (b"VG\x01\x01k\x10v" + bytes(28), "truncated"),
    (b"VG\x01\x02k\xff\x01v" + bytes(28), "key id that is not ASCII"),
    (b"VG\x01\x02k \x01v" + bytes(28), "key id must be printable ASCII"),
    (b"VG\x01\x01k\x02v\n" + bytes(28), "version id must be printable ASCII"),
]


@pytest.mark.parametrize(
    ("blob", "message"),
    MALFORMED,
    ids=[
        "empty",
        "bad-magic",
        "future-format",
        "empty-key-id",
        "empty-version-id",
        "key-id-overruns",
        "too-short",
        "version-id-overruns",
        "non-ascii-key-id",
        "space-in-key-id",
        "control-in-version-id",
    ],
)
def test_decode_explains_malformed_blobs(blob: bytes, message: str) -> None:
    with pytest.raises(InvalidCiphertext, match=message) as caught:
        decode(blob)
    assert caught.value.code == "InvalidCiphertext"


@FUZZ
@given(st.one_of(st.binary(max_size=128), st.binary(max_size=128).map(lambda tail: b"VG\x01" + tail)))
def test_decode_of_arbitrary_bytes_returns_an_envelope_or_raises_invalid_ciphertext(blob: bytes) -> None:
    try:
        env = decode(blob)
    except InvalidCiphertext:
        return
    assert encode(env) == blob


@FUZZ
@given(
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255),
    st.binary(min_size=12, max_size=12),
    st.binary(min_size=16, max_size=64),
    st.binary(max_size=8),
)
def test_decode_of_a_corrupted_blob_never_crashes(
    key_id: str, version_id: str, nonce: bytes, sealed: bytes, junk: bytes
) -> None:
    blob = encode(Envelope(key_id, version_id, nonce, sealed))
    assert decode(blob) == Envelope(key_id, version_id, nonce, sealed)
    for corrupted in (blob[: len(junk)] + junk, junk + blob, blob[3:], blob[: -len(junk) or None]):
        with contextlib.suppress(InvalidCiphertext):
            decode(corrupted)


ENVELOPE_ERRORS = [
    ("", VERSION_ID, NONCE, bytes(16)),
    ("k" * 256, VERSION_ID, NONCE, bytes(16)),
    ("ключ", VERSION_ID, NONCE, bytes(16)),
    (KEY_ID, "", NONCE, bytes(16)),
    (KEY_ID, VERSION_ID, bytes(11), bytes(16)),
]


@pytest.mark.parametrize(
    ("key_id", "version_id", "nonce", "sealed"),
    ENVELOPE_ERRORS,
    ids=["empty-key-id", "long-key-id", "non-ascii-key-id", "empty-version", "short-nonce"],
)
def test_envelope_refuses_fields_the_format_cannot_carry(
    key_id: str, version_id: str, nonce: bytes, sealed: bytes
) -> None:
    with pytest.raises(ValueError):
        Envelope(key_id, version_id, nonce, sealed)


CONTEXTS = [
    (None, b""),
    ({}, b""),
    ({"b": "2", "a": "1"}, b'{"a":"1","b":"2"}'),
    ({"a": "1", "b": "2"}, b'{"a":"1","b":"2"}'),
    ({"名": "值"}, '{"名":"值"}'.encode()),
    ({"n": 1, "t": True, "x": None}, b'{"n":1,"t":true,"x":null}'),
    ({"q": 'say "hi"'}, b'{"q":"say \\"hi\\""}'),
]


@pytest.mark.parametrize(
    ("context", "expected"),
    CONTEXTS,
    ids=["none", "empty", "unsorted", "sorted", "unicode", "json-scalars", "escaped-quote"],
)
def test_context_aad_is_canonical_compact_utf8_json(
    context: dict[str, object] | None, expected: bytes
) -> None:
    assert context_aad(context) == expected


@pytest.mark.parametrize(
    "context",
    [{"a": b"bytes"}, {"a": float("nan")}, {"a": "\ud800"}],
    ids=["bytes-value", "nan", "lone-surrogate"],
)
def test_context_aad_rejects_values_json_cannot_carry(context: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument, match=r"^EncryptionContext"):
        context_aad(context)
