"""The root key file and the wrapping of key material at rest."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from vigil.errors import FailedPrecondition
from vigil.keys.wrapping import RootKey, RootKeyError

AAD = b"key-1/v-1"
MATERIAL = bytes(range(32))


def write_key_file(path: Path, content: bytes, mode: int = 0o600) -> None:
    path.write_bytes(content)
    path.chmod(mode)


def test_load_or_create_writes_a_0600_file_of_64_hex_digits(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    RootKey.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(rb"[0-9a-f]{64}\n", path.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == ["root.key"]


def test_load_or_create_reuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    first = RootKey.load_or_create(path)
    content = path.read_bytes()
    second = RootKey.load_or_create(path)
    assert path.read_bytes() == content
    assert second.fingerprint() == first.fingerprint()
    assert second.unwrap(first.wrap(MATERIAL, AAD), AAD) == MATERIAL


def test_concurrent_first_starts_agree_on_one_root_key(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        fingerprints = set(pool.map(lambda _: RootKey.load_or_create(path).fingerprint(), range(32)))
    assert fingerprints == {RootKey.load(path).fingerprint()}
    assert [p.name for p in tmp_path.iterdir()] == ["root.key"]


def test_load_reads_the_key_that_load_or_create_made(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    created = RootKey.load_or_create(path)
    assert RootKey.load(path).fingerprint() == created.fingerprint()


@pytest.mark.parametrize(
    "content",
    [b"ab" * 32 + b"\n", b"ab" * 32, b"AB" * 32 + b"\n"],
    ids=["with-newline", "without-newline", "uppercase"],
)
def test_load_accepts_a_hand_written_key_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "root.key"
    write_key_file(path, content)
    assert RootKey.load(path).fingerprint() == RootKey(bytes([0xAB]) * 32).fingerprint()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660], ids=oct)
def test_load_refuses_a_file_others_can_access(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "root.key"
    write_key_file(path, b"ab" * 32 + b"\n", mode)
    with pytest.raises(RootKeyError) as caught:
        RootKey.load_or_create(path)
    assert str(path) in caught.value.message
    assert f"{mode:04o}" in caught.value.message
    assert "ab" * 32 not in caught.value.message


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"ab" * 31 + b"\n",
        b"ab" * 33 + b"\n",
        b"zz" * 32 + b"\n",
        b"ab" * 32 + b"\n\n",
        b" " + b"ab" * 32,
    ],
    ids=["empty", "short", "long", "not-hex", "extra-newline", "leading-space"],
)
def test_load_refuses_a_malformed_file_without_echoing_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "root.key"
    write_key_file(path, content)
    with pytest.raises(RootKeyError, match="must hold 32 bytes as 64 hex digits") as caught:
        RootKey.load(path)
    assert str(path) in caught.value.message
    assert "abab" not in caught.value.message


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RootKeyError, match="does not exist"):
        RootKey.load(tmp_path / "absent.key")


def test_load_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(RootKeyError):
        RootKey.load(tmp_path)


def test_load_or_create_reports_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "root.key"
    with pytest.raises(RootKeyError, match="cannot be created") as caught:
        RootKey.load_or_create(path)
    assert isinstance(caught.value, FailedPrecondition)
    assert str(path) in caught.value.message


def test_key_file_is_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0o000)
    try:
        RootKey.load_or_create(tmp_path / "root.key")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "root.key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "material", [b"", b"\x00", MATERIAL, bytes(1200)], ids=["empty", "one-byte", "aes-key", "rsa-sized"]
)
def test_wrap_round_trips(material: bytes) -> None:
    root = RootKey(bytes(32))
    wrapped = root.wrap(material, AAD)
    assert len(wrapped) == 1 + 12 + len(material) + 16
    assert wrapped[0] == 1
    assert root.unwrap(wrapped, AAD) == material


def test_wrap_uses_a_fresh_nonce_each_time() -> None:
    root = RootKey(bytes(32))
    assert root.wrap(MATERIAL, AAD) != root.wrap(MATERIAL, AAD)


def test_a_different_root_key_cannot_unwrap(tmp_path: Path) -> None:
    wrapped = RootKey.load_or_create(tmp_path / "a.key").wrap(MATERIAL, AAD)
    other = RootKey.load_or_create(tmp_path / "b.key")
    with pytest.raises(RootKeyError) as caught:
        other.unwrap(wrapped, AAD)
    assert caught.value.message == "key material cannot be unwrapped: wrong root key or corrupted data"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda w: w[:-1],
        lambda w: b"",
        lambda w: b"\x02" + w[1:],
        lambda w: w[:5] + bytes([w[5] ^ 1]) + w[6:],
        lambda w: w[:-1] + bytes([w[-1] ^ 1]),
        lambda w: w[:20] + bytes([w[20] ^ 1]) + w[21:],
    ],
    ids=["truncated", "empty", "future-format", "nonce-flip", "tag-flip", "body-flip"],
)
def test_corrupted_wrapped_material_cannot_be_unwrapped(mutate: Callable[[bytes], bytes]) -> None:
    root = RootKey(bytes(32))
    with pytest.raises(RootKeyError, match="cannot be unwrapped"):
        root.unwrap(mutate(root.wrap(MATERIAL, AAD)), AAD)


def test_wrapped_material_is_bound_to_its_aad() -> None:
    root = RootKey(bytes(32))
    with pytest.raises(RootKeyError):
        root.unwrap(root.wrap(MATERIAL, b"key-1/v-1"), b"key-2/v-1")


def test_fingerprint_is_16_hex_digits_stable_and_key_dependent() -> None:
    fingerprint = RootKey(bytes(32)).fingerprint()
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)
    assert RootKey(bytes(32)).fingerprint() == fingerprint
    assert RootKey(bytes(31) + b"\x01").fingerprint() != fingerprint


def test_repr_shows_only_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    root = RootKey.load_or_create(path)
    key_hex = path.read_text().strip()
    text = repr(root)
    assert text == f"RootKey(fingerprint={root.fingerprint()!r})"
    assert key_hex not in text
    assert key_hex[:16] not in text
    assert repr(bytes.fromhex(key_hex)) not in text
    assert str(root) == text


def test_root_key_refuses_a_key_of_the_wrong_size() -> None:
    with pytest.raises(RootKeyError, match="32 bytes"):
        RootKey(bytes(16))
