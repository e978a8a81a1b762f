"""The self-describing ciphertext blob of Encrypt, Decrypt, GenerateDataKey and ReEncrypt.

Layout: b"VG" | format 0x01 | u8 n | key_id (n ASCII) | u8 m | version_id (m ASCII) | nonce (12) | sealed,
where sealed is the AES-GCM ciphertext || 16-byte tag. `header` (everything before the nonce) is
self-delimiting and must be part of the AAD, so a blob cannot be relabelled with another key or version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from vigil.errors import InvalidArgument
from vigil.keys.crypto import NONCE_SIZE, TAG_SIZE, InvalidCiphertext

MAGIC = b"VG"
FORMAT_VERSION = 1
MAX_ID_LENGTH = 255

_PREFIX = MAGIC + bytes([FORMAT_VERSION])
_MIN_SIZE = len(_PREFIX) + 2 * (1 + 1) + NONCE_SIZE + TAG_SIZE  # each id: a length byte, 1+ chars


@dataclass(frozen=True, slots=True)
class Envelope:
    """The parts of a ciphertext blob. Raises ValueError when a field cannot be encoded.

    `sealed` may be empty while the header is computed before sealing; `decode` insists on the tag.
    """

    key_id: str
    version_id: str
    nonce: bytes
    sealed: bytes

    def __post_init__(self) -> None:
        _check_id("key id", self.key_id)
        _check_id("version id", self.version_id)
        if len(self.nonce) != NONCE_SIZE:
            raise ValueError(f"nonce must be {NONCE_SIZE} bytes, got {len(self.nonce)}")


def _check_id(name: str, value: str) -> None:
    if not 0 < len(value) <= MAX_ID_LENGTH:
        raise ValueError(f"{name} must be 1 to {MAX_ID_LENGTH} characters long")
    if not (value.isascii() and value.isprintable()) or " " in value:
        raise ValueError(f"{name} must be printable ASCII without spaces")


def header(env: Envelope) -> bytes:
    """The bytes that name the key and version; bind them as AAD when sealing and opening."""
    key_id = env.key_id.encode("ascii")
    version_id = env.version_id.encode("ascii")
    return b"".join((_PREFIX, bytes([len(key_id)]), key_id, bytes([len(version_id)]), version_id))


def encode(env: Envelope) -> bytes:
    """The blob for an envelope."""
    return b"".join((header(env), env.nonce, env.sealed))


def decode(blob: bytes) -> Envelope:
    """The envelope in a blob. Raises InvalidCiphertext for anything that is not a well-formed blob."""
    if len(blob) < len(_PREFIX) or blob[:2] != MAGIC:
        raise InvalidCiphertext("the ciphertext blob is not a Vigil ciphertext")
    if blob[2] != FORMAT_VERSION:
        raise InvalidCiphertext(f"the ciphertext blob has unknown format version {blob[2]}")
    if len(blob) < _MIN_SIZE:
        raise InvalidCiphertext("the ciphertext blob is truncated")
    key_id, offset = _read_id(blob, len(_PREFIX), "key id")
    version_id, offset = _read_id(blob, offset, "version id")
    nonce_end = offset + NONCE_SIZE
    if len(blob) - nonce_end < TAG_SIZE:
        raise InvalidCiphertext("the ciphertext blob is truncated")
    try:
        return Envelope(key_id, version_id, blob[offset:nonce_end], blob[nonce_end:])
    except ValueError as error:
        raise InvalidCiphertext(f"the ciphertext blob is malformed: {error}") from None


def _read_id(blob: bytes, offset: int, name: str) -> tuple[str, int]:
    if offset >= len(blob):
        raise InvalidCiphertext("the ciphertext blob is truncated")
    end = offset + 1 + blob[offset]
    if end > len(blob):
        raise InvalidCiphertext(f"the ciphertext blob is truncated in the {name}")
    try:
        return blob[offset + 1 : end].decode("ascii"), end
    except UnicodeDecodeError:
        raise InvalidCiphertext(f"the ciphertext blob has a {name} that is not ASCII") from None


def context_aad(encryption_context: Mapping[str, object] | None) -> bytes:
    """Canonical UTF-8 JSON of an EncryptionContext (sorted keys, compact); b"" when empty.

    Raises InvalidArgument naming EncryptionContext when it cannot be expressed as JSON.
    """
    if not encryption_context:
        return b""
    try:
        text = json.dumps(
            dict(encryption_context),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
        return text.encode("utf-8")
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"EncryptionContext cannot be expressed as JSON: {error}") from None
