"""The root key, which wraps key material at rest so that the database never holds it in clear.

Key file: 32 random bytes as 64 hex digits and a newline, mode 0600. Wrapped material:
format 0x01 | nonce (12) | AES-256-GCM ciphertext || tag, with the format byte and the caller's AAD bound.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import os
import re
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vigil.errors import FailedPrecondition
from vigil.keys.crypto import NONCE_SIZE, TAG_SIZE, Random, SystemRandom

KEY_SIZE = 32
WRAP_FORMAT = 1

_FILE_PATTERN = re.compile(rb"([0-9a-fA-F]{64})\n?")
_MAX_FILE_SIZE = 4096
_FINGERPRINT_LABEL = b"vigil/root-key/fingerprint/v1"
_WRAP_PREFIX = bytes([WRAP_FORMAT])
_UNWRAP_FAILED = "key material cannot be unwrapped: wrong root key or corrupted data"
_NO_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS})


class RootKeyError(FailedPrecondition):
    """The root key file is missing, malformed or exposed, or material does not unwrap with it."""


class RootKey:
    """The AES-256-GCM key that wraps all key material; its repr shows only the fingerprint."""

    __slots__ = ("_aead", "_fingerprint", "_rng")

    def __init__(self, key: bytes, *, rng: Random | None = None) -> None:
        if len(key) != KEY_SIZE:
            raise RootKeyError(f"a root key must be {KEY_SIZE} bytes")
        self._aead = AESGCM(key)
        self._fingerprint = _fingerprint(key)
        self._rng: Random = rng or SystemRandom()

    def __repr__(self) -> str:
        return f"RootKey(fingerprint={self._fingerprint!r})"

    @classmethod
    def load_or_create(cls, path: Path, *, rng: Random | None = None) -> RootKey:
        """The root key in `path`, creating the file (mode 0600) if it does not exist.

        Raises RootKeyError when the file is unusable.
        """
        source = rng or SystemRandom()
        if not os.path.lexists(path):
            key = source.bytes(KEY_SIZE)
            if _publish(path, key, source):
                return cls(key, rng=source)
        return cls.load(path, rng=source)

    @classmethod
    def load(cls, path: Path, *, rng: Random | None = None) -> RootKey:
        """The root key in an existing file. Raises RootKeyError when it is missing or unusable."""
        return cls(_parse_key_file(path, _read_key_file(path)), rng=rng)

    def fingerprint(self) -> str:
        """16 hex digits that identify this root key without revealing it."""
        return self._fingerprint

    def wrap(self, material: bytes, aad: bytes) -> bytes:
        """Key material sealed for storage, bound to `aad` (e.g. the key and version ids)."""
        nonce = self._rng.bytes(NONCE_SIZE)
        return b"".join((_WRAP_PREFIX, nonce, self._aead.encrypt(nonce, material, _WRAP_PREFIX + aad)))

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """The material sealed by `wrap` with the same AAD. Raises RootKeyError on any mismatch."""
        if len(wrapped) < 1 + NONCE_SIZE + TAG_SIZE or wrapped[0] != WRAP_FORMAT:
            raise RootKeyError(_UNWRAP_FAILED)
        try:
            return self._aead.decrypt(
                wrapped[1 : 1 + NONCE_SIZE], wrapped[1 + NONCE_SIZE :], _WRAP_PREFIX + aad
            )
        except InvalidTag:
            raise RootKeyError(_UNWRAP_FAILED) from None


def _fingerprint(key: bytes) -> str:
    # The HMAC separates this use of the key from encryption; the outer hash is public.
    mac = hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).digest()
    return hashlib.sha256(mac).hexdigest()[:16]


def _read_key_file(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            _check_mode(path, mode)
            return file.read(_MAX_FILE_SIZE)
    except FileNotFoundError:
        raise RootKeyError(f"root key file {path} does not exist") from None
    except OSError as error:
        raise RootKeyError(f"root key file {path} cannot be read: {error.strerror}") from None


def _check_mode(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise RootKeyError(f"root key file {path} is not a regular file")
    if mode & 0o077:
        raise RootKeyError(
            f"root key file {path} has mode {stat.S_IMODE(mode):04o}; "
            "it must not be accessible to group or others (chmod 600)"
        )


def _parse_key_file(path: Path, data: bytes) -> bytes:
    match = _FILE_PATTERN.fullmatch(data)
    if match is None:
        raise RootKeyError(
            f"root key file {path} must hold {KEY_SIZE} bytes as {2 * KEY_SIZE} hex digits and a newline"
        )
    return bytes.fromhex(match.group(1).decode("ascii"))


def _publish(path: Path, key: bytes, rng: Random) -> bool:
    """Write a new key file; False if another process created `path` first."""
    content = key.hex().encode("ascii") + b"\n"
    temporary = path.with_name(f".{path.name}.{rng.bytes(6).hex()}.tmp")
    try:
        _write_new(temporary, content)
        try:
            created = _link(temporary, path, content)
        finally:
            temporary.unlink(missing_ok=True)
        _sync_directory(path.parent)
    except OSError as error:
        raise RootKeyError(f"root key file {path} cannot be created: {error.strerror}") from None
    return created


def _link(source: Path, target: Path, content: bytes) -> bool:
    # A hard link makes the file appear complete or not at all, and never replaces an existing one.
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        return _write_new_or_exists(target, content)
    return True


def _write_new_or_exists(path: Path, content: bytes) -> bool:
    try:
        _write_new(path, content)
    except FileExistsError:
        return False
    return True


def _write_new(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
