"""Server-side verification of Huawei Cloud's SDK-HMAC-SHA256 request signature (WIRE.md §8.2)."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from vigil.dialects.signing import (
    EMPTY_SHA256,
    HttpRequestParts,
    Scheme,
    SignatureClaim,
    authorization_fields,
    canonical_headers,
    checked_payload_hash,
    hex_signature,
    parse_query,
    pct,
    percent_decode,
    same_text,
    sha256_hex,
    shown,
    signed_header_names,
    utc_timestamp,
    utf8,
)
from vigil.errors import IncompleteSignature

__all__ = ["HttpRequestParts", "SignatureClaim", "read_claim"]

_BASIC_UTC = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")
_AUTHORIZATION_FIELDS = ("Access", "SignedHeaders", "Signature")
_REQUIRED_SIGNED = ("host", "x-sdk-date")
# Headers that identify the caller: an unsigned one could be swapped freely.
_SIGNED_WHEN_PRESENT = ("x-security-token", "x-project-id")
_CONTENT_HASH = "x-sdk-content-sha256"
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def read_claim(parts: HttpRequestParts) -> SignatureClaim:
    """Read the SDK-HMAC-SHA256 signature a request carries and check its shape, but not its secret.

    Raises IncompleteSignature when the signature is missing, malformed or of an unsupported kind,
    and SignatureDoesNotMatch when ``X-Sdk-Content-Sha256`` is not the hash of the body.
    """
    authorization = parts.headers.get("authorization")
    if authorization is None:
        raise IncompleteSignature("the request has no Authorization header")
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != Scheme.HUAWEI:
        raise IncompleteSignature(f"unsupported signature algorithm {shown(algorithm)}")
    fields = authorization_fields(rest, _AUTHORIZATION_FIELDS)
    if not fields["Access"]:
        raise IncompleteSignature("malformed Authorization header: Access is empty")
    headers = parts.headers
    listed = fields["SignedHeaders"]
    date = headers.get("x-sdk-date", "").strip()
    proof = _HuaweiProof(
        parts=parts,
        uri=_canonical_uri(parts.path),
        query=parse_query(parts.raw_query),
        signed_headers=listed,
        names=signed_header_names(headers, listed, _REQUIRED_SIGNED, _SIGNED_WHEN_PRESENT),
        payload_hash=_payload_hash(parts),
        date=date,
        signature=hex_signature(fields["Signature"]),
    )
    return SignatureClaim(
        scheme=Scheme.HUAWEI,
        access_key_id=fields["Access"],
        timestamp=utc_timestamp(date, _BASIC_UTC, "X-Sdk-Date"),
        nonce="",
        security_token=headers.get("x-security-token", "").strip() or None,
        project_id=headers.get("x-project-id", "").strip() or None,
        proof=proof,
    )


@dataclass(frozen=True, slots=True)
class _HuaweiProof:
    parts: HttpRequestParts
    uri: str
    query: tuple[tuple[str, str], ...]
    signed_headers: str
    names: tuple[str, ...]
    payload_hash: str | None  # None: hash the body when verifying
    date: str
    signature: str

    def matches(self, secret: str) -> bool:
        string_to_sign = f"{Scheme.HUAWEI}\n{self.date}\n{sha256_hex(utf8(self._canonical_request()))}"
        expected = hmac.new(utf8(secret), utf8(string_to_sign), hashlib.sha256).hexdigest()
        return same_text(expected, self.signature)

    def _canonical_request(self) -> str:
        query = "&".join(f"{pct(key)}={pct(value)}" for key, value in sorted(self.query))
        payload_hash = self.payload_hash or sha256_hex(self.parts.body)
        return (
            f"{self.parts.method}\n{self.uri}\n{query}\n"
            f"{canonical_headers(self.parts.headers, self.names)}\n{self.signed_headers}\n{payload_hash}"
        )


def _canonical_uri(path: str) -> str:
    """Decode once, then re-encode segment by segment, so an encoded '/' becomes a separator."""
    if not path.isascii():
        raise IncompleteSignature("the request path must be ASCII; percent-encode other characters")
    decoded = percent_decode(path, "request path", plus_is_space=False)
    uri = "/".join(pct(segment) for segment in decoded.split("/"))
    return uri if uri.endswith("/") else f"{uri}/"


def _payload_hash(parts: HttpRequestParts) -> str | None:
    if not parts.body:
        return EMPTY_SHA256
    claimed = parts.headers.get(_CONTENT_HASH)
    if claimed is None:
        return None
    if claimed.strip() == _UNSIGNED_PAYLOAD:
        raise IncompleteSignature("unsigned payloads are not accepted; sign the request body")
    return checked_payload_hash(claimed, parts.body, "X-Sdk-Content-Sha256")
