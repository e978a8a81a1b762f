"""What an audit record may keep of a call's parameters and answer (pure).

Plaintext, secret values, data keys, passwords, private keys, access key secrets and signatures
never reach a record: each such value is replaced by ``hmac-sha256:<hex>``, keyed with the
deployment's audit salt, so a record still shows *that* a value was given, and an authorised user
can check a candidate value against it (AuditHash) without the trail ever holding the value.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

HASH_PREFIX = "hmac-sha256:"

SENSITIVE = frozenset(
    name.lower()
    for name in (
        # KMS and the secrets manager (Alibaba names)
        "Plaintext",
        "SecretData",
        "SecretString",
        "SecretBinary",
        "PrivateKey",
        "PrivateKeyData",
        "DataKey",
        "ExportedDataKey",
        "Signature",
        "Password",
        "AccountPassword",
        "RandomPassword",
        "AccessKeySecret",
        "SecurityToken",
        "ClientKeyPassword",
        "PrivateKeyPassword",
        # Huawei CSMS names
        "secret_string",
        "secret_binary",
        "password",
        "private_key",
        # Vigil
        "ContactSecret",
        "SmtpPassword",
    )
)
"""Parameter and answer fields whose values are hashed, matched without regard to case."""


class Redactor:
    def __init__(self, salt: bytes) -> None:
        self._salt = salt
        # HMAC-SHA256 (RFC 2104) with both padded keys hashed once: each value continues copies of
        # the two digests, which costs a fraction of copying an hmac object (this runs per call)
        key = hashlib.sha256(salt).digest() if len(salt) > _BLOCK else salt
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __repr__(self) -> str:
        return "Redactor(salt='**********')"

    def hash(self, value: str | bytes) -> str:
        inner = self._inner.copy()
        inner.update(value.encode() if isinstance(value, str) else value)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return HASH_PREFIX + outer.hexdigest()

    def matches(self, value: str, stored: str) -> bool:
        """Whether ``value`` is what a record's ``hmac-sha256:`` entry was made from."""
        return hmac.compare_digest(self.hash(value), stored.strip())

    def redact(self, value: Any, also: frozenset[str] = frozenset()) -> Any:
        """A copy of a JSON value with every sensitive field's value hashed (at any depth);
        ``also`` names further fields, lower-cased, that are sensitive in this one call (the
        ``Value`` AsymmetricSign answers with is a signature)."""
        kind = type(value)
        if kind in _SCALARS:  # most values: nothing to look into
            return value
        if kind is dict or isinstance(value, Mapping):
            return {k: self._field(str(k), v, also) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.redact(item, also) for item in value]
        return value

    def _field(self, name: str, value: Any, also: frozenset[str]) -> Any:
        if _sensitive(name, also):
            if value is None or value == "":
                return value
            if isinstance(value, (str, bytes)):
                return self.hash(value)
            return self.hash(repr(value))
        return value if type(value) in _SCALARS else self.redact(value, also)


_SCALARS = frozenset({str, int, float, bool, type(None)})
_BLOCK = 64
"""SHA-256's block size: HMAC pads its key to it."""


@functools.lru_cache(maxsize=8192)
def _sensitive(name: str, also: frozenset[str]) -> bool:
    """A field name such as ``Plaintext``, ``SecretData.1`` or ``versions.0.secret_string`` (the
    same few names come with every call, so the answer is remembered)."""
    parts = name.lower().replace("[", ".").split(".")
    return any(part in SENSITIVE or part in also for part in parts)
