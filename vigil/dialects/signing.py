"""What every request-signature scheme shares: the request as received, the claim a signature makes,
and the decoding, percent-encoding, header and hashing rules the Alibaba and Huawei verifiers both use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote, unquote

from vigil.errors import IncompleteSignature, SignatureDoesNotMatch

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HEX_SIGNATURE = re.compile(r"[0-9A-Fa-f]{64}")
_SHOWN_LENGTH = 48


class Scheme(StrEnum):
    ACS3 = "ACS3-HMAC-SHA256"
    RPC = "HMAC-SHA1"
    ACS4 = "ACS4-HMAC-SHA256"
    HUAWEI = "SDK-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class HttpRequestParts:
    """What the server received, nothing decoded yet.

    Header names are lower-case and repeated headers are already joined with ','. Header values are
    as the HTTP server decoded them (latin-1, the ASGI convention); UTF-8-decoded values work too.
    """

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes


class Proof(Protocol):
    """The scheme-specific evidence behind a claim, checked against a candidate secret."""

    def matches(self, secret: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class SignatureClaim:
    """Who a request says signed it, and when; ``verify`` decides whether that is true.

    Clock skew and nonce reuse are the caller's checks, made with ``timestamp`` and ``nonce``.
    """

    scheme: Scheme
    access_key_id: str
    timestamp: datetime
    nonce: str
    security_token: str | None
    project_id: str | None = None
    proof: Proof = field(kw_only=True, repr=False, compare=False)

    def verify(self, secret: str) -> bool:
        """True when the request was signed with ``secret``; the comparison is constant-time."""
        return self.proof.matches(secret)


def shown(value: str) -> str:
    """A client-supplied value, quoted and cut short, fit for an error message."""
    return repr(value[:_SHOWN_LENGTH] + ("…" if len(value) > _SHOWN_LENGTH else ""))


def pct(text: str) -> str:
    """RFC 3986 percent-encoding of the UTF-8 bytes, keeping only ``A-Z a-z 0-9 - _ . ~``."""
    return quote(text, safe="~", errors="surrogatepass")


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def percent_decode(text: str, what: str, *, plus_is_space: bool) -> str:
    """Decode one URL component strictly. Raises IncompleteSignature on bad escapes or bad UTF-8."""
    if plus_is_space and "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise IncompleteSignature(f"the {what} has a malformed percent-escape")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise IncompleteSignature(f"the {what} is not valid UTF-8 once percent-decoded") from None


def parse_query(raw_query: str) -> tuple[tuple[str, str], ...]:
    """The decoded (key, value) pairs of a raw query string, with form semantics ('+' is a space).

    Raises IncompleteSignature when the query is not ASCII or is badly percent-encoded.
    """
    if not raw_query:
        return ()
    if not raw_query.isascii():
        raise IncompleteSignature("the query string must be ASCII; percent-encode other characters")
    pairs = []
    for item in raw_query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append(
                (
                    percent_decode(key, "query string", plus_is_space=True),
                    percent_decode(value, "query string", plus_is_space=True),
                )
            )
    return tuple(pairs)


def authorization_fields(text: str, names: tuple[str, ...]) -> dict[str, str]:
    """Split ``A=x,B=y,C=z`` (spaces after commas allowed) into exactly the fields ``names``.

    Raises IncompleteSignature when a field is missing, unknown, repeated or has no '='.
    """
    fields: dict[str, str] = {}
    for item in text.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals:
            raise IncompleteSignature(
                f"malformed Authorization header: field {shown(item.strip())} has no '='"
            )
        if name not in names or name in fields:
            raise IncompleteSignature(f"malformed Authorization header: unexpected field {shown(name)}")
        fields[name] = value
    missing = [name for name in names if name not in fields]
    if missing:
        raise IncompleteSignature(f"malformed Authorization header: missing {', '.join(missing)}")
    return fields


def signed_header_names(
    headers: Mapping[str, str], listed: str, required: tuple[str, ...], signed_when_present: tuple[str, ...]
) -> tuple[str, ...]:
    """The names in a ``SignedHeaders`` list, checked against the request and the signing policy.

    Raises IncompleteSignature when a listed header is absent, a required one is not listed, or a
    header that must be signed whenever it is sent is present but not listed.
    """
    names = tuple(listed.split(";"))
    for name in names:
        if name not in headers:
            raise IncompleteSignature(f"signed header {shown(name)} is not in the request")
    unsigned = [name for name in required if name not in names]
    if unsigned:
        raise IncompleteSignature(f"SignedHeaders must include {', '.join(unsigned)}")
    for name in signed_when_present:
        if name in headers and name not in names:
            raise IncompleteSignature(f"header {name} is present but not signed")
    return names


def canonical_headers(headers: Mapping[str, str], names: tuple[str, ...]) -> str:
    """``name:trimmed-value`` lines, each ending in a newline, in the listed order."""
    return "".join(f"{name}:{wire_text(headers[name]).strip()}\n" for name in names)


def wire_text(value: str) -> str:
    """The text a client signed for a header value the server decoded as latin-1."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def checked_payload_hash(claimed: str, body: bytes, header: str) -> str:
    """A client's hex SHA-256 of the body, once it is confirmed. Raises SignatureDoesNotMatch otherwise."""
    claimed = claimed.strip()
    if claimed.lower() != sha256_hex(body):
        raise SignatureDoesNotMatch(f"{header} does not match the SHA-256 of the request body")
    return claimed


def hex_signature(value: str) -> str:
    """A 64-digit hex signature in lower case. Raises IncompleteSignature when malformed."""
    if not _HEX_SIGNATURE.fullmatch(value):
        raise IncompleteSignature("malformed Authorization header: Signature is not 64 hex digits")
    return value.lower()


def same_text(expected: str, provided: str) -> bool:
    """Constant-time equality of two ASCII signatures."""
    return hmac.compare_digest(expected.encode("ascii"), provided.encode("ascii"))


def utc_timestamp(value: str, pattern: re.Pattern[str], what: str) -> datetime:
    """An aware UTC datetime from six numeric groups of ``pattern``. Raises IncompleteSignature."""
    match = pattern.fullmatch(value)
    if match is None:
        raise IncompleteSignature(f"{what} {shown(value)} is not a UTC timestamp in the expected format")
    year, month, day, hour, minute, second = (int(group) for group in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise IncompleteSignature(f"{what} {shown(value)} is not a valid date and time") from None
