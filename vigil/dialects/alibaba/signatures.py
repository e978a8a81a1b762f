"""Server-side verification of the Alibaba Cloud POP request signatures (WIRE.md §2): ACS3-HMAC-SHA256,
ACS4-HMAC-SHA256 and the RPC HMAC-SHA1 of the tea-openapi v2 path and the legacy aliyunsdkcore.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vigil.dialects.signing import (
    HttpRequestParts,
    Scheme,
    SignatureClaim,
    authorization_fields,
    canonical_headers,
    checked_payload_hash,
    hex_signature,
    hmac_sha256,
    parse_query,
    pct,
    same_text,
    sha256_hex,
    shown,
    signed_header_names,
    utc_timestamp,
    utf8,
)
from vigil.errors import IncompleteSignature

__all__ = ["HttpRequestParts", "SignatureClaim", "read_claim"]

_ISO_UTC = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z")
_RPC_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{27}=")
_AUTHORIZATION_FIELDS = ("Credential", "SignedHeaders", "Signature")
_REQUIRED_SIGNED = ("host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")
# Headers that identify the caller or choose the operation: an unsigned one could be swapped freely.
_SIGNED_WHEN_PRESENT = ("x-acs-security-token", "x-acs-accesskey-id", "x-acs-action", "x-acs-version")
_RPC_REQUIRED = ("AccessKeyId", "Timestamp", "SignatureNonce", "Action", "Version")
_RPC_HEADERS_AND_PARAMS = (("x-acs-action", "Action"), ("x-acs-version", "Version"))
_ACS4_TERMINATOR = "aliyun_v4_request"


def read_claim(parts: HttpRequestParts, form: Mapping[str, str] | None) -> SignatureClaim:
    """Read which Alibaba signature a request carries and check its shape, but not its secret.

    ``form`` is the decoded form body, when the body is ``application/x-www-form-urlencoded``.
    Raises IncompleteSignature when the signature is missing, malformed or of an unsupported kind,
    and SignatureDoesNotMatch when ``x-acs-content-sha256`` is not the hash of the body.
    """
    authorization = parts.headers.get("authorization")
    if authorization is not None:
        return _read_authorization(parts, authorization)
    pairs = parse_query(parts.raw_query) + tuple((form or {}).items())
    params = dict(pairs)
    if "Signature" in params:
        return _read_rpc(parts, pairs, params)
    if "x-acs-bearer-token" in parts.headers:
        raise IncompleteSignature("bearer tokens are not supported; sign the request with an AccessKey")
    raise IncompleteSignature("the request has no Authorization header and no Signature parameter")


def _read_authorization(parts: HttpRequestParts, authorization: str) -> SignatureClaim:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm == Scheme.ACS3:
        return _read_acs3(parts, authorization_fields(rest, _AUTHORIZATION_FIELDS))
    if algorithm == Scheme.ACS4:
        return _read_acs4(parts, authorization_fields(rest, _AUTHORIZATION_FIELDS))
    if algorithm.startswith(("ACS3-", "ACS4-")):
        raise IncompleteSignature(f"unsupported signature algorithm {shown(algorithm)}")
    if algorithm.lower() == "bearer":
        raise IncompleteSignature("bearer tokens are not supported; sign the request with an AccessKey")
    raise IncompleteSignature(f"unsupported Authorization scheme {shown(algorithm)}")


# ACS3 and ACS4: an Authorization header over a canonical request (WIRE.md §2.1 and §2.3).


@dataclass(frozen=True, slots=True)
class _CanonicalRequest:
    """The secret-independent inputs of an ACS3 or ACS4 signature."""

    parts: HttpRequestParts
    query: tuple[tuple[str, str], ...]
    signed_headers: str
    names: tuple[str, ...]
    payload_hash: str

    def digest(self, *, encode_keys: bool) -> str:
        """Hex SHA-256 of the canonical request; ACS4 percent-encodes query keys, ACS3 does not."""
        query = "&".join(
            f"{pct(key) if encode_keys else key}={pct(value)}" for key, value in sorted(self.query)
        )
        text = (
            f"{self.parts.method}\n{self.parts.path or '/'}\n{query}\n"
            f"{canonical_headers(self.parts.headers, self.names)}\n{self.signed_headers}\n{self.payload_hash}"
        )
        return sha256_hex(utf8(text))


@dataclass(frozen=True, slots=True)
class _Acs3Proof:
    request: _CanonicalRequest
    signature: str

    def matches(self, secret: str) -> bool:
        string_to_sign = f"{Scheme.ACS3}\n{self.request.digest(encode_keys=False)}"
        expected = hmac.new(utf8(secret), utf8(string_to_sign), hashlib.sha256).hexdigest()
        return same_text(expected, self.signature)


@dataclass(frozen=True, slots=True)
class _Acs4Proof:
    request: _CanonicalRequest
    signature: str
    date: str
    region: str
    product: str

    def matches(self, secret: str) -> bool:
        string_to_sign = f"{Scheme.ACS4}\n{self.request.digest(encode_keys=True)}"
        expected = hmac.new(self._signing_key(secret), utf8(string_to_sign), hashlib.sha256).hexdigest()
        return same_text(expected, self.signature)

    def _signing_key(self, secret: str) -> bytes:
        key = hmac_sha256(utf8(f"aliyun_v4{secret}"), utf8(self.date))
        for scope in (self.region, self.product, _ACS4_TERMINATOR):
            key = hmac_sha256(key, utf8(scope))
        return key


def _read_acs3(parts: HttpRequestParts, fields: dict[str, str]) -> SignatureClaim:
    access_key_id = fields["Credential"]
    if not access_key_id:
        raise IncompleteSignature("malformed Authorization header: Credential is empty")
    proof = _Acs3Proof(_canonical_request(parts, fields), hex_signature(fields["Signature"]))
    return _acs_claim(Scheme.ACS3, parts, access_key_id, proof)


def _read_acs4(parts: HttpRequestParts, fields: dict[str, str]) -> SignatureClaim:
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or not all(scope) or scope[4] != _ACS4_TERMINATOR:
        raise IncompleteSignature(
            "malformed Authorization header: ACS4 Credential must be "
            "<AccessKeyId>/<yyyymmdd>/<region>/<product>/aliyun_v4_request"
        )
    access_key_id, date, region, product, _ = scope
    proof = _Acs4Proof(
        _canonical_request(parts, fields), hex_signature(fields["Signature"]), date, region, product
    )
    claim = _acs_claim(Scheme.ACS4, parts, access_key_id, proof)
    if date != claim.timestamp.strftime("%Y%m%d"):
        raise IncompleteSignature("the ACS4 Credential date does not match x-acs-date")
    return claim


def _canonical_request(parts: HttpRequestParts, fields: dict[str, str]) -> _CanonicalRequest:
    listed = fields["SignedHeaders"]
    names = signed_header_names(parts.headers, listed, _REQUIRED_SIGNED, _SIGNED_WHEN_PRESENT)
    payload_hash = checked_payload_hash(
        parts.headers["x-acs-content-sha256"], parts.body, "x-acs-content-sha256"
    )
    return _CanonicalRequest(parts, parse_query(parts.raw_query), listed, names, payload_hash)


def _acs_claim(
    scheme: Scheme, parts: HttpRequestParts, access_key_id: str, proof: _Acs3Proof | _Acs4Proof
) -> SignatureClaim:
    headers = parts.headers
    nonce = headers["x-acs-signature-nonce"].strip()
    if not nonce:
        raise IncompleteSignature("x-acs-signature-nonce is empty")
    stated_key_id = headers.get("x-acs-accesskey-id")
    if stated_key_id is not None and stated_key_id.strip() != access_key_id:
        raise IncompleteSignature("x-acs-accesskey-id does not match the AccessKeyId in the Credential")
    return SignatureClaim(
        scheme=scheme,
        access_key_id=access_key_id,
        timestamp=utc_timestamp(headers["x-acs-date"].strip(), _ISO_UTC, "x-acs-date"),
        nonce=nonce,
        security_token=headers.get("x-acs-security-token", "").strip() or None,
        proof=proof,
    )


# RPC HMAC-SHA1: a Signature parameter over all the other parameters (WIRE.md §2.2).


@dataclass(frozen=True, slots=True)
class _RpcProof:
    method: str
    params: tuple[tuple[str, str], ...]
    signature: str

    def matches(self, secret: str) -> bool:
        canonical = "&".join(f"{pct(key)}={pct(value)}" for key, value in sorted(self.params))
        string_to_sign = f"{self.method}&%2F&{pct(canonical)}"
        digest = hmac.new(utf8(f"{secret}&"), utf8(string_to_sign), hashlib.sha1).digest()
        return same_text(base64.b64encode(digest).decode("ascii"), self.signature)


def _read_rpc(
    parts: HttpRequestParts, pairs: tuple[tuple[str, str], ...], params: dict[str, str]
) -> SignatureClaim:
    _check_rpc_method(params)
    missing = [name for name in _RPC_REQUIRED if not params.get(name)]
    if missing:
        raise IncompleteSignature(f"the signed parameters lack {', '.join(missing)}")
    for header, name in _RPC_HEADERS_AND_PARAMS:
        value = parts.headers.get(header)
        if value is not None and value.strip() != params[name]:
            raise IncompleteSignature(f"header {header} disagrees with the signed {name} parameter")
    signature = params["Signature"]
    if not _RPC_SIGNATURE.fullmatch(signature):
        raise IncompleteSignature("malformed Signature parameter: expected base64 of an HMAC-SHA1")
    signed = tuple(pair for pair in pairs if pair[0] != "Signature")
    return SignatureClaim(
        scheme=Scheme.RPC,
        access_key_id=params["AccessKeyId"],
        timestamp=utc_timestamp(params["Timestamp"], _ISO_UTC, "Timestamp"),
        nonce=params["SignatureNonce"],
        security_token=params.get("SecurityToken") or None,
        proof=_RpcProof(parts.method, signed, signature),
    )


def _check_rpc_method(params: dict[str, str]) -> None:
    method = params.get("SignatureMethod")
    if method is None:
        raise IncompleteSignature("the signed parameters lack SignatureMethod")
    if method != "HMAC-SHA1":
        raise IncompleteSignature(f"unsupported SignatureMethod {shown(method)}")
    version = params.get("SignatureVersion")
    if version is None:
        raise IncompleteSignature("the signed parameters lack SignatureVersion")
    if version != "1.0":
        raise IncompleteSignature(f"unsupported SignatureVersion {shown(version)}")
    kind = params.get("SignatureType", "")
    if kind:
        raise IncompleteSignature(f"unsupported SignatureType {shown(kind)}")
