"""Signature verification for the Alibaba and Huawei dialects, against every captured SDK request,
plus every way a signature is refused and a fuzz test that only Vigil errors ever escape.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.dialects.alibaba import signatures as alibaba
from vigil.dialects.huawei import signatures as huawei
from vigil.dialects.signing import (
    HttpRequestParts,
    Scheme,
    SignatureClaim,
    parse_query,
    sha256_hex,
    wire_text,
)
from vigil.errors import IncompleteSignature, SignatureDoesNotMatch, Unauthenticated, VigilError

REPO_ROOT = Path(__file__).resolve().parents[3]
CAPTURES_DIR = (REPO_ROOT / ".." / "shared" / "reference" / "wire" / "raw").resolve()
HUAWEI_FILES = {"csms.json"}
FUZZ = settings(database=None, deadline=None, max_examples=400)

# Capture labels we can verify; any other label must be refused by read_claim.
SCHEMES_BY_LABEL = {
    "ACS3-HMAC-SHA256": Scheme.ACS3,
    "STS (ACS3-HMAC-SHA256 + security token)": Scheme.ACS3,
    "v2": Scheme.RPC,
    "v2 (RPC HMAC-SHA1)": Scheme.RPC,
    "v2 (RPC HMAC-SHA1) + STS": Scheme.RPC,
    "legacy aliyunsdkcore RPC HMAC-SHA1": Scheme.RPC,
    "ACS4-HMAC-SHA256": Scheme.ACS4,
    "ACS4-HMAC-SHA256 (signature_version=v4)": Scheme.ACS4,
    "SDK-HMAC-SHA256": Scheme.HUAWEI,
    "SDK-HMAC-SHA256 + X-Security-Token": Scheme.HUAWEI,
    "SDK-HMAC-SHA256 (no Content-Type on GET)": Scheme.HUAWEI,
}
# Parameters whose change read_claim refuses before any HMAC; tampering tests change other values.
RPC_CONTROL_PARAMS = {
    "Signature",
    "Timestamp",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureType",
    "AccessKeyId",
    "Action",
    "Version",
}


@dataclass(frozen=True, slots=True)
class Capture:
    """One captured SDK request and what it must verify as."""

    name: str
    label: str
    operation: str
    huawei: bool
    parts: HttpRequestParts
    form: dict[str, str] | None
    access_key_id: str
    secret: str
    security_token: str | None
    project_id: str | None

    @property
    def scheme(self) -> Scheme | None:
        return SCHEMES_BY_LABEL.get(self.label)

    def read(
        self, parts: HttpRequestParts | None = None, form: dict[str, str] | None = None
    ) -> SignatureClaim:
        parts = parts or self.parts
        return huawei.read_claim(parts) if self.huawei else alibaba.read_claim(parts, form or self.form)


def request_from_wire(wire: Mapping[str, Any]) -> tuple[HttpRequestParts, dict[str, str] | None]:
    """Rebuild what the server received: lower-case headers (repeats joined) and the decoded form body."""
    headers: dict[str, str] = {}
    for name, value in wire["headers"]:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    body = base64.b64decode(wire["body_b64"])
    parts = HttpRequestParts(wire["method"].upper(), wire["path"], wire["raw_query"], headers, body)
    return parts, decoded_form(headers, body)


def decoded_form(headers: Mapping[str, str], body: bytes) -> dict[str, str] | None:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


def load_captures() -> list[Capture]:
    captures = []
    for path in sorted(CAPTURES_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue  # edge_cases.json records replies only, no requests
        for index, call in enumerate(document["calls"]):
            for wire in call["wire"]:
                captures.append(capture_from(path.name, index, call, wire, document["credentials"]))
    return captures


def capture_from(
    file: str, index: int, call: Mapping[str, Any], wire: Mapping[str, Any], credentials: Mapping[str, str]
) -> Capture:
    parts, form = request_from_wire(wire)
    is_huawei = file in HUAWEI_FILES
    label = call["scheme"]
    carries_token = "STS" in label or "Security-Token" in label
    return Capture(
        name=f"{Path(file).stem}-{index:02d}-{call['operation']}-{label}",
        label=label,
        operation=call["operation"],
        huawei=is_huawei,
        parts=parts,
        form=form,
        access_key_id=credentials["ak"] if is_huawei else credentials["access_key_id"],
        secret=credentials["sk"] if is_huawei else credentials["access_key_secret"],
        security_token=credentials["security_token"] if carries_token else None,
        project_id=credentials["project_id"] if is_huawei else None,
    )


CAPTURES = load_captures()
SIGNED = [capture for capture in CAPTURES if capture.scheme is not None]
WITH_SIGNED_HEADERS = [capture for capture in SIGNED if capture.scheme is not Scheme.RPC]


def find(file_stem: str, label: str, operation: str) -> Capture:
    for capture in CAPTURES:
        if capture.name.startswith(f"{file_stem}-") and (capture.label, capture.operation) == (
            label,
            operation,
        ):
            return capture
    raise AssertionError(f"no capture {file_stem}/{label}/{operation} under {CAPTURES_DIR}")


def with_headers(parts: HttpRequestParts, changes: Mapping[str, str | None]) -> HttpRequestParts:
    """Set headers, or drop those mapped to None."""
    headers = {**parts.headers, **changes}
    return replace(parts, headers={name: value for name, value in headers.items() if value is not None})


def with_authorization(parts: HttpRequestParts, old: str, new: str) -> HttpRequestParts:
    authorization = parts.headers["authorization"]
    assert old in authorization, f"{old!r} not in {authorization!r}"
    return with_headers(parts, {"authorization": authorization.replace(old, new, 1)})


def with_params(parts: HttpRequestParts, changes: Mapping[str, str | None]) -> HttpRequestParts:
    """Set query parameters, or drop those mapped to None."""
    original = parse_qsl(parts.raw_query, keep_blank_values=True)
    pairs = []
    for key, value in [*original, *((key, "") for key in changes if key not in dict(original))]:
        changed = changes.get(key, value)
        if changed is not None:
            pairs.append((key, changed))
    return replace(parts, raw_query=urlencode(pairs))


def signed_header_list(parts: HttpRequestParts) -> list[str]:
    match = re.search(r"SignedHeaders=([^,]*)", parts.headers["authorization"])
    assert match is not None
    return match.group(1).split(";")


def refused(capture: Capture, parts: HttpRequestParts, form: dict[str, str] | None = None) -> bool:
    try:
        return not capture.read(parts, form).verify(capture.secret)
    except Unauthenticated:
        return True


# Every captured request verifies, names its signer, and stops verifying once anything signed changes.


def test_the_captures_are_present() -> None:
    assert CAPTURES_DIR.is_dir(), f"missing {CAPTURES_DIR}"
    assert len(SIGNED) >= 100
    assert {capture.scheme for capture in SIGNED} == set(Scheme)


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_every_captured_request_verifies_with_its_secret(capture: Capture) -> None:
    claim = capture.read()

    assert claim.scheme is capture.scheme
    assert claim.verify(capture.secret) is True


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_the_claim_names_the_signer_and_the_moment(capture: Capture) -> None:
    claim = capture.read()

    assert claim.access_key_id == capture.access_key_id
    assert claim.security_token == capture.security_token
    assert claim.project_id == capture.project_id
    assert claim.timestamp.utcoffset() == timedelta(0)
    assert claim.timestamp.date().isoformat() == "2026-11-21"
    assert (claim.nonce == "") is (capture.scheme is Scheme.HUAWEI)


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_a_wrong_secret_is_rejected(capture: Capture) -> None:
    claim = capture.read()

    assert claim.verify(capture.secret + "x") is False
    assert claim.verify(capture.secret[:-1]) is False
    assert claim.verify("") is False


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_a_tampered_query_value_is_rejected(capture: Capture) -> None:
    pairs = parse_qsl(capture.parts.raw_query, keep_blank_values=True)
    target = next((key for key, _ in pairs if key not in RPC_CONTROL_PARAMS), None)
    change = {target: dict(pairs)[target] + "x"} if target else {"Tampered": "1"}
    parts = with_params(capture.parts, change)

    assert capture.read(parts).verify(capture.secret) is False


@pytest.mark.parametrize("capture", WITH_SIGNED_HEADERS, ids=lambda capture: capture.name)
def test_a_tampered_host_header_is_rejected(capture: Capture) -> None:
    parts = with_headers(capture.parts, {"host": "vigil.example:8443"})

    assert capture.read(parts).verify(capture.secret) is False


@pytest.mark.parametrize("capture", WITH_SIGNED_HEADERS, ids=lambda capture: capture.name)
def test_tampering_any_signed_header_is_rejected(capture: Capture) -> None:
    for name in signed_header_list(capture.parts):
        parts = with_headers(capture.parts, {name: capture.parts.headers[name] + "0"})
        assert refused(capture, parts), name


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_a_tampered_body_is_rejected(capture: Capture) -> None:
    if capture.scheme is Scheme.RPC:
        form = {**(capture.form or {}), "SecretData": "tampered"}
        parts = replace(capture.parts, body=urlencode(form).encode())
        assert capture.read(parts, form).verify(capture.secret) is False
    elif capture.scheme is Scheme.HUAWEI:
        parts = replace(capture.parts, body=capture.parts.body + b" ")
        assert capture.read(parts).verify(capture.secret) is False
    else:
        parts = replace(capture.parts, body=b"SecretData=tampered")
        with pytest.raises(SignatureDoesNotMatch, match="x-acs-content-sha256 does not match"):
            capture.read(parts)
        rehashed = with_headers(parts, {"x-acs-content-sha256": sha256_hex(parts.body)})
        assert capture.read(rehashed).verify(capture.secret) is False


@pytest.mark.parametrize("capture", SIGNED, ids=lambda capture: capture.name)
def test_a_claim_verifies_the_same_way_twice(capture: Capture) -> None:
    claim = capture.read()

    assert [claim.verify(capture.secret), claim.verify("wrong"), claim.verify(capture.secret)] == [
        True,
        False,
        True,
    ]


def test_captures_of_unsupported_schemes_are_refused() -> None:
    for capture in CAPTURES:
        if capture.scheme is None:
            with pytest.raises(IncompleteSignature):
                capture.read()


# Variants a server must still accept.


def acs3() -> Capture:
    return find("kms", "ACS3-HMAC-SHA256", "CreateSecret")


def huawei_create() -> Capture:
    return find("csms", "SDK-HMAC-SHA256", "CreateSecret")


def test_an_upper_case_hex_signature_verifies() -> None:
    capture = acs3()
    signature = capture.parts.headers["authorization"].rsplit("=", 1)[1]
    parts = with_authorization(capture.parts, signature, signature.upper())

    assert capture.read(parts).verify(capture.secret) is True


def test_spaces_after_the_authorization_commas_are_tolerated() -> None:
    capture = acs3()
    parts = with_authorization(capture.parts, ",SignedHeaders=", ", SignedHeaders=")

    assert capture.read(parts).verify(capture.secret) is True


def test_a_huawei_content_hash_header_matching_the_body_verifies() -> None:
    capture = huawei_create()
    parts = with_headers(capture.parts, {"x-sdk-content-sha256": sha256_hex(capture.parts.body)})

    assert capture.read(parts).verify(capture.secret) is True


def test_the_huawei_slash_quirk_capture_signs_an_extra_segment() -> None:
    capture = find("csms", "SDK-HMAC-SHA256", "ShowSecretVersion(name with space)")

    assert "%2F" in capture.parts.path
    assert capture.read().verify(capture.secret) is True


# Every way a signature is refused before any HMAC is computed.


@dataclass(frozen=True, slots=True)
class Refusal:
    base: Callable[[], Capture]
    mutate: Callable[[HttpRequestParts], HttpRequestParts]
    error: type[Unauthenticated]
    message: str


def acs3_sts() -> Capture:
    return find("kms", "STS (ACS3-HMAC-SHA256 + security token)", "ListKeys")


def acs4() -> Capture:
    return find("kms", "ACS4-HMAC-SHA256 (signature_version=v4)", "CreateSecret")


def rpc() -> Capture:
    return find("kms", "v2 (RPC HMAC-SHA1)", "Encrypt")


def legacy() -> Capture:
    return find("legacy_core_kms", "legacy aliyunsdkcore RPC HMAC-SHA1", "Encrypt")


def huawei_get() -> Capture:
    return find("csms", "SDK-HMAC-SHA256", "ListSecrets")


def drop_signed(name: str) -> Callable[[HttpRequestParts], HttpRequestParts]:
    def mutate(parts: HttpRequestParts) -> HttpRequestParts:
        listed = ";".join(signed_header_list(parts))
        kept = ";".join(item for item in listed.split(";") if item != name)
        return with_authorization(parts, f"SignedHeaders={listed}", f"SignedHeaders={kept}")

    return mutate


def set_authorization(value: str) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: with_headers(parts, {"authorization": value})


def swap(old: str, new: str) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: with_authorization(parts, old, new)


def headers(changes: Mapping[str, str | None]) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: with_headers(parts, changes)


def params(changes: Mapping[str, str | None]) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: with_params(parts, changes)


def path_suffix(suffix: str) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: replace(parts, path=parts.path + suffix)


def query_suffix(suffix: str) -> Callable[[HttpRequestParts], HttpRequestParts]:
    return lambda parts: replace(parts, raw_query=parts.raw_query + suffix)


def drop_signature_field(parts: HttpRequestParts) -> HttpRequestParts:
    authorization = parts.headers["authorization"]
    return with_headers(parts, {"authorization": authorization[: authorization.index(",Signature=")]})


BAD = IncompleteSignature
MISMATCH = SignatureDoesNotMatch

REFUSALS = {
    # Alibaba: no signature at all, or one we do not implement.
    "no-authorization-no-signature": Refusal(
        acs3, headers({"authorization": None}), BAD, "no Authorization header and no Signature parameter"
    ),
    "bearer-token-header": Refusal(
        acs3, headers({"authorization": None, "x-acs-bearer-token": "t"}), BAD, "bearer tokens"
    ),
    "bearer-authorization": Refusal(acs3, set_authorization("Bearer abc"), BAD, "bearer tokens"),
    "acs3-hmac-sm3": Refusal(acs3, swap("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3"), BAD, "'ACS3-HMAC-SM3'"),
    "acs3-rsa-sha256": Refusal(acs3, swap("ACS3-HMAC-SHA256", "ACS3-RSA-SHA256"), BAD, "'ACS3-RSA-SHA256'"),
    "acs4-hmac-sm3": Refusal(acs4, swap("ACS4-HMAC-SHA256", "ACS4-HMAC-SM3"), BAD, "'ACS4-HMAC-SM3'"),
    "unknown-scheme": Refusal(acs3, set_authorization("Digest u=1"), BAD, "unsupported Authorization scheme"),
    "huawei-scheme-at-alibaba": Refusal(
        acs3, swap("ACS3-HMAC-SHA256", "SDK-HMAC-SHA256"), BAD, "unsupported Authorization scheme"
    ),
    # Alibaba ACS3/ACS4: a malformed Authorization header.
    "acs3-no-fields": Refusal(acs3, set_authorization("ACS3-HMAC-SHA256"), BAD, "has no '='"),
    "acs3-field-without-equals": Refusal(acs3, swap(",Signature=", ",Signature"), BAD, "has no '='"),
    "acs3-missing-signature": Refusal(acs3, drop_signature_field, BAD, "missing Signature"),
    "acs3-unknown-field": Refusal(
        acs3, swap(",SignedHeaders=", ",Extra=1,SignedHeaders="), BAD, "unexpected field 'Extra'"
    ),
    "acs3-repeated-field": Refusal(
        acs3, swap(",SignedHeaders=", ",Credential=x,SignedHeaders="), BAD, "unexpected field 'Credential'"
    ),
    "acs3-empty-credential": Refusal(
        acs3, swap("Credential=LTAI5tDUMMYACCESSKEYID01", "Credential="), BAD, "Credential is empty"
    ),
    "acs3-signature-not-hex": Refusal(acs3, swap(",Signature=e6", ",Signature=zz"), BAD, "not 64 hex digits"),
    "acs3-signature-too-short": Refusal(acs3, swap(",Signature=e6", ",Signature="), BAD, "not 64 hex digits"),
    "acs4-credential-without-product": Refusal(
        acs4, swap("/Kms/aliyun_v4_request", "/aliyun_v4_request"), BAD, "ACS4 Credential must be"
    ),
    "acs4-credential-wrong-terminator": Refusal(
        acs4, swap("aliyun_v4_request", "aws4_request"), BAD, "ACS4 Credential must be"
    ),
    "acs4-credential-date-mismatch": Refusal(
        acs4, swap("/20261121/", "/20261120/"), BAD, "Credential date does not match x-acs-date"
    ),
    # Alibaba ACS3/ACS4: signing policy.
    "acs3-host-unsigned": Refusal(acs3, drop_signed("host"), BAD, "SignedHeaders must include host"),
    "acs3-date-unsigned": Refusal(acs3, drop_signed("x-acs-date"), BAD, "must include x-acs-date"),
    "acs3-nonce-unsigned": Refusal(
        acs3, drop_signed("x-acs-signature-nonce"), BAD, "must include x-acs-signature-nonce"
    ),
    "acs3-content-hash-unsigned": Refusal(
        acs3, drop_signed("x-acs-content-sha256"), BAD, "must include x-acs-content-sha256"
    ),
    "acs4-nonce-unsigned": Refusal(
        acs4, drop_signed("x-acs-signature-nonce"), BAD, "must include x-acs-signature-nonce"
    ),
    "acs3-signed-header-absent": Refusal(
        acs3, headers({"accept": None}), BAD, "signed header 'accept' is not in the request"
    ),
    "acs3-security-token-unsigned": Refusal(
        acs3, headers({"x-acs-security-token": "t"}), BAD, "x-acs-security-token is present but not signed"
    ),
    "acs3-sts-token-unsigned": Refusal(
        acs3_sts, drop_signed("x-acs-security-token"), BAD, "x-acs-security-token is present but not signed"
    ),
    "acs3-action-unsigned": Refusal(
        acs3, drop_signed("x-acs-action"), BAD, "x-acs-action is present but not signed"
    ),
    "acs3-accesskey-id-mismatch": Refusal(
        acs3_sts, headers({"x-acs-accesskey-id": "LTAI5tOTHER"}), BAD, "x-acs-accesskey-id does not match"
    ),
    "acs3-body-hash-mismatch": Refusal(
        acs3,
        lambda parts: replace(parts, body=b"SecretData=x"),
        MISMATCH,
        "x-acs-content-sha256 does not match",
    ),
    "acs4-body-hash-mismatch": Refusal(
        acs4, lambda parts: replace(parts, body=b""), MISMATCH, "x-acs-content-sha256 does not match"
    ),
    "acs3-date-unparseable": Refusal(acs3, headers({"x-acs-date": "yesterday"}), BAD, "not a UTC timestamp"),
    "acs3-date-with-offset": Refusal(
        acs3, headers({"x-acs-date": "2026-11-21T07:16:11+00:00"}), BAD, "not a UTC timestamp"
    ),
    "acs3-date-impossible": Refusal(
        acs3, headers({"x-acs-date": "2026-13-01T00:00:00Z"}), BAD, "not a valid date and time"
    ),
    "acs3-empty-nonce": Refusal(acs3, headers({"x-acs-signature-nonce": " "}), BAD, "nonce is empty"),
    "acs3-query-bad-escape": Refusal(acs3, query_suffix("&A=%zz"), BAD, "malformed percent-escape"),
    "acs3-query-truncated-escape": Refusal(acs3, query_suffix("&A=%2"), BAD, "malformed percent-escape"),
    "acs3-query-bad-utf8": Refusal(acs3, query_suffix("&A=%ff"), BAD, "not valid UTF-8"),
    "acs3-query-non-ascii": Refusal(acs3, query_suffix("&A=ü"), BAD, "must be ASCII"),
    # Alibaba RPC HMAC-SHA1.
    "rpc-no-timestamp": Refusal(rpc, params({"Timestamp": None}), BAD, "lack Timestamp"),
    "rpc-no-nonce": Refusal(rpc, params({"SignatureNonce": None}), BAD, "lack SignatureNonce"),
    "rpc-no-access-key-id": Refusal(rpc, params({"AccessKeyId": None}), BAD, "lack AccessKeyId"),
    "rpc-empty-access-key-id": Refusal(rpc, params({"AccessKeyId": ""}), BAD, "lack AccessKeyId"),
    "rpc-no-action": Refusal(rpc, params({"Action": None}), BAD, "lack Action"),
    "rpc-no-version": Refusal(legacy, params({"Version": None}), BAD, "lack Version"),
    "rpc-no-signature-method": Refusal(rpc, params({"SignatureMethod": None}), BAD, "lack SignatureMethod"),
    "rpc-hmac-sha256": Refusal(
        rpc, params({"SignatureMethod": "HMAC-SHA256"}), BAD, "unsupported SignatureMethod 'HMAC-SHA256'"
    ),
    "rpc-no-signature-version": Refusal(
        rpc, params({"SignatureVersion": None}), BAD, "lack SignatureVersion"
    ),
    "rpc-signature-version-2": Refusal(
        rpc, params({"SignatureVersion": "2.0"}), BAD, "unsupported SignatureVersion '2.0'"
    ),
    "rpc-bearer-signature-type": Refusal(
        legacy, params({"SignatureType": "BEARERTOKEN"}), BAD, "unsupported SignatureType 'BEARERTOKEN'"
    ),
    "rpc-bearer-without-signature": Refusal(
        rpc,
        lambda parts: with_headers(
            with_params(parts, {"Signature": None, "SignatureType": "BEARERTOKEN"}),
            {"x-acs-bearer-token": "t"},
        ),
        BAD,
        "bearer tokens",
    ),
    "rpc-timestamp-unparseable": Refusal(
        rpc, params({"Timestamp": "2026-11-21 07:16:12"}), BAD, "Timestamp '2026-11-21 07:16:12' is not"
    ),
    "rpc-malformed-signature": Refusal(
        rpc, params({"Signature": "abc"}), BAD, "malformed Signature parameter"
    ),
    "rpc-action-header-disagrees": Refusal(
        rpc, headers({"x-acs-action": "Decrypt"}), BAD, "x-acs-action disagrees with the signed Action"
    ),
    "rpc-version-header-disagrees": Refusal(
        legacy,
        headers({"x-acs-version": "2099-01-01"}),
        BAD,
        "x-acs-version disagrees with the signed Version",
    ),
    "rpc-query-bad-escape": Refusal(rpc, query_suffix("&A=%"), BAD, "malformed percent-escape"),
    # Huawei SDK-HMAC-SHA256.
    "huawei-no-authorization": Refusal(
        huawei_get, headers({"authorization": None}), BAD, "no Authorization header"
    ),
    "huawei-sdk-hmac-sm3": Refusal(
        huawei_get,
        swap("SDK-HMAC-SHA256", "SDK-HMAC-SM3"),
        BAD,
        "unsupported signature algorithm 'SDK-HMAC-SM3'",
    ),
    "huawei-v11-hmac-sha256": Refusal(
        huawei_get, swap("SDK-HMAC-SHA256", "V11-HMAC-SHA256"), BAD, "'V11-HMAC-SHA256'"
    ),
    "huawei-alibaba-scheme": Refusal(
        huawei_get, swap("SDK-HMAC-SHA256", "ACS3-HMAC-SHA256"), BAD, "unsupported signature algorithm"
    ),
    "huawei-missing-access": Refusal(
        huawei_get, swap("Access=HWDUMMYACCESSKEY0001, ", ""), BAD, "missing Access"
    ),
    "huawei-empty-access": Refusal(
        huawei_get, swap("Access=HWDUMMYACCESSKEY0001", "Access="), BAD, "Access is empty"
    ),
    "huawei-signature-not-hex": Refusal(huawei_get, swap("Signature=", "Signature=g"), BAD, "not 64 hex"),
    "huawei-host-unsigned": Refusal(huawei_get, drop_signed("host"), BAD, "SignedHeaders must include host"),
    "huawei-date-unsigned": Refusal(huawei_get, drop_signed("x-sdk-date"), BAD, "must include x-sdk-date"),
    "huawei-signed-header-absent": Refusal(
        huawei_get, headers({"user-agent": None}), BAD, "signed header 'user-agent' is not in the request"
    ),
    "huawei-security-token-unsigned": Refusal(
        huawei_get, headers({"x-security-token": "t"}), BAD, "x-security-token is present but not signed"
    ),
    "huawei-project-id-unsigned": Refusal(
        huawei_get, drop_signed("x-project-id"), BAD, "x-project-id is present but not signed"
    ),
    "huawei-date-iso": Refusal(
        huawei_get, headers({"x-sdk-date": "2026-11-21T07:16:49Z"}), BAD, "not a UTC timestamp"
    ),
    "huawei-date-impossible": Refusal(
        huawei_get, headers({"x-sdk-date": "20261321T071649Z"}), BAD, "not a valid date and time"
    ),
    "huawei-path-bad-utf8": Refusal(huawei_get, path_suffix("/%ff"), BAD, "path is not valid UTF-8"),
    "huawei-path-bad-escape": Refusal(huawei_get, path_suffix("/%g1"), BAD, "malformed percent-escape"),
    "huawei-path-non-ascii": Refusal(huawei_get, path_suffix("/ü"), BAD, "path must be ASCII"),
    "huawei-query-bad-escape": Refusal(huawei_get, query_suffix("&x=%"), BAD, "malformed percent-escape"),
    "huawei-unsigned-payload": Refusal(
        huawei_create, headers({"x-sdk-content-sha256": "UNSIGNED-PAYLOAD"}), BAD, "unsigned payloads"
    ),
    "huawei-content-hash-mismatch": Refusal(
        huawei_create,
        headers({"x-sdk-content-sha256": sha256_hex(b"other")}),
        MISMATCH,
        "X-Sdk-Content-Sha256 does not match",
    ),
}


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_malformed_or_unsupported_signature_is_refused(refusal: Refusal) -> None:
    capture = refusal.base()
    parts = refusal.mutate(capture.parts)

    with pytest.raises(refusal.error, match=re.escape(refusal.message)) as raised:
        capture.read(parts)
    assert type(raised.value) is refusal.error


# The shared decoding rules.


@pytest.mark.parametrize(
    ("raw", "pairs"),
    [
        ("", ()),
        ("a=1&b=2", (("a", "1"), ("b", "2"))),
        ("a=x+y&b=x%2By&c=x%20y", (("a", "x y"), ("b", "x+y"), ("c", "x y"))),
        ("flag&empty=&=v", (("flag", ""), ("empty", ""), ("", "v"))),
        ("a=1&&b=2&", (("a", "1"), ("b", "2"))),
        ("k%C3%BC=%E2%9C%93", (("kü", "✓"),)),
        ("a=b=c", (("a", "b=c"),)),
    ],
    ids=["empty", "plain", "plus-is-space", "blanks", "stray-ampersands", "utf-8", "equals-in-value"],
)
def test_queries_decode_with_form_semantics(raw: str, pairs: tuple[tuple[str, str], ...]) -> None:
    assert parse_query(raw) == pairs


@pytest.mark.parametrize(
    ("received", "signed"),
    [("static_ak", "static_ak"), ("Ã¼ber", "über"), ("über", "über"), ("\udcff", "\udcff")],
    ids=["ascii", "latin-1-decoded-utf-8", "already-unicode", "undecodable"],
)
def test_header_values_are_read_back_as_the_client_signed_them(received: str, signed: str) -> None:
    assert wire_text(received) == signed


# Whatever arrives, read_claim raises only Vigil errors, and verify only answers yes or no.

HEADER_NAMES = st.sampled_from(
    [
        "authorization",
        "host",
        "content-type",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
        "x-acs-security-token",
        "x-acs-accesskey-id",
        "x-acs-action",
        "x-acs-version",
        "x-acs-bearer-token",
        "x-sdk-date",
        "x-sdk-content-sha256",
        "x-project-id",
        "x-security-token",
    ]
) | st.text(max_size=12)
SCHEME_WORDS = st.sampled_from(
    ["ACS3-HMAC-SHA256", "ACS4-HMAC-SHA256", "SDK-HMAC-SHA256", "ACS3-HMAC-SM3", "Bearer", ""]
)
FIELD_NAMES = st.sampled_from(["Credential", "SignedHeaders", "Signature", "Access"]) | st.text(max_size=6)
AUTHORIZATIONS = st.builds(
    lambda scheme, fields, sep: f"{scheme} " + sep.join(f"{name}={value}" for name, value in fields),
    SCHEME_WORDS,
    st.lists(st.tuples(FIELD_NAMES, st.text(max_size=70)), max_size=4),
    st.sampled_from([",", ", "]),
)
RPC_KEYS = st.sampled_from(
    [
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureType",
        "AccessKeyId",
        "Timestamp",
        "SignatureNonce",
        "Action",
        "Version",
        "SecurityToken",
    ]
) | st.text(max_size=8)
RPC_VALUES = st.sampled_from(["HMAC-SHA1", "1.0", "", "2026-11-21T07:16:12Z", "Y3UaR0uEgNfgdp0TaOUeN88tBAs="])
QUERIES = st.text() | st.lists(st.tuples(RPC_KEYS, RPC_VALUES | st.text(max_size=30)), max_size=12).map(
    urlencode
)
FORMS = st.none() | st.dictionaries(RPC_KEYS, RPC_VALUES | st.text(max_size=20), max_size=6)


@st.composite
def arbitrary_requests(draw: st.DrawFn) -> tuple[HttpRequestParts, dict[str, str] | None]:
    headers = draw(st.dictionaries(HEADER_NAMES, st.text(max_size=40), max_size=10))
    if draw(st.booleans()):
        headers["authorization"] = draw(AUTHORIZATIONS)
    parts = HttpRequestParts(
        method=draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        path=draw(st.sampled_from(["/", "/v1/p/secrets/a%2Fb"]) | st.text(max_size=30)),
        raw_query=draw(QUERIES),
        headers=headers,
        body=draw(st.binary(max_size=64)),
    )
    return parts, draw(FORMS)


@st.composite
def mutated_captures(draw: st.DrawFn) -> tuple[HttpRequestParts, dict[str, str] | None]:
    capture = draw(st.sampled_from(SIGNED))
    overlay = draw(st.dictionaries(HEADER_NAMES, st.text(max_size=40) | AUTHORIZATIONS, max_size=3))
    parts = with_headers(capture.parts, overlay)
    if draw(st.booleans()):
        parts = replace(parts, raw_query=draw(QUERIES))
    if draw(st.booleans()):
        parts = replace(parts, path=draw(st.text(max_size=30)), body=draw(st.binary(max_size=32)))
    return parts, (draw(FORMS) if draw(st.booleans()) else capture.form)


@FUZZ
@given(request=arbitrary_requests() | mutated_captures())
def test_read_claim_raises_only_vigil_errors(request: tuple[HttpRequestParts, dict[str, str] | None]) -> None:
    parts, form = request
    readers: list[Callable[[], SignatureClaim]] = [
        lambda: alibaba.read_claim(parts, form),
        lambda: huawei.read_claim(parts),
    ]
    for read in readers:
        try:
            claim = read()
        except VigilError as error:
            assert isinstance(error, IncompleteSignature | SignatureDoesNotMatch), error
            continue
        assert claim.verify("secret") in (True, False)
