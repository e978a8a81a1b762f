"""The request checks behind a signature, exercised with hand-built ACS3 requests over real HTTP:
nonce replay, clock skew, missing or tampered signatures, body hashes, unknown actions and versions,
and garbage input that must never produce a 500.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT_AK, ROOT_SECRET, RunningServer
from vigil.client import KMS, VIGIL, VigilApiError, acs3_headers

FORM = "application/x-www-form-urlencoded"


def signed_headers(
    server: RunningServer, action: str, query: dict[str, str], *, version: str = KMS, **options: Any
) -> dict[str, str]:
    return acs3_headers("POST", server.endpoint, query, action, version, ROOT_AK, ROOT_SECRET, **options)


def post(
    server: RunningServer, query: dict[str, str] | str, headers: dict[str, str], body: bytes = b""
) -> Any:
    """Send one request and return (status, JSON body)."""
    target = "/?" + (query if isinstance(query, str) else urlencode(query))
    response = httpx.post(server.url + target, headers=headers, content=body)
    return response.status_code, response.json()


def test_a_replayed_request_is_refused_as_a_used_nonce(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {}, nonce="replayed-nonce-0001")
    assert post(server, {}, headers)[0] == 200
    status, body = post(server, {}, headers)
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")
    assert "replayed-nonce-0001" in body["Message"]


def test_a_nonce_is_accepted_once_per_request_not_once_per_server(server: RunningServer) -> None:
    for nonce in ("nonce-a", "nonce-b", "nonce-c"):
        assert post(server, {}, signed_headers(server, "ListKeys", {}, nonce=nonce))[0] == 200


@pytest.mark.parametrize("minutes", [-16, 16], ids=["past", "future"])
def test_a_date_sixteen_minutes_off_is_an_expired_timestamp(server: RunningServer, minutes: int) -> None:
    headers = signed_headers(server, "ListKeys", {}, now=datetime.now(UTC) + timedelta(minutes=minutes))
    status, body = post(server, {}, headers)
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")
    assert "the limit is 900 s" in body["Message"]


@pytest.mark.parametrize("minutes", [-14, 14], ids=["past", "future"])
def test_a_date_fourteen_minutes_off_is_still_accepted(server: RunningServer, minutes: int) -> None:
    headers = signed_headers(server, "ListKeys", {}, now=datetime.now(UTC) + timedelta(minutes=minutes))
    assert post(server, {}, headers)[0] == 200


def test_a_request_without_authorization_is_an_incomplete_signature(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {})
    del headers["authorization"]
    status, body = post(server, {}, headers)
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    assert "no Authorization header" in body["Message"]


def test_a_query_changed_after_signing_does_not_match(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {"PageSize": "10"})
    status, body = post(server, {"PageSize": "100"}, headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_an_action_header_changed_after_signing_does_not_match(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {})
    headers["x-acs-action"] = "CreateKey"
    status, body = post(server, {}, headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert server.client().call("ListKeys")["TotalCount"] == 0


def test_a_body_that_is_not_the_signed_one_fails_the_content_hash(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {}, body=b"PageSize=10", content_type=FORM)
    status, body = post(server, {}, headers, b"PageSize=99")
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert "x-acs-content-sha256 does not match" in body["Message"]


def test_a_body_hash_header_that_lies_consistently_is_still_caught(server: RunningServer) -> None:
    headers = signed_headers(server, "ListKeys", {}, body=b"PageSize=10", content_type=FORM)
    headers["x-acs-content-sha256"] = hashlib.sha256(b"PageSize=99").hexdigest()
    status, body = post(server, {}, headers, b"PageSize=99")
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_an_unknown_action_is_invalid_action_not_found(server: RunningServer) -> None:
    with pytest.raises(VigilApiError) as caught:
        server.client().call("MakeCoffee")
    assert (caught.value.status, caught.value.code) == (400, "InvalidAction.NotFound")
    assert "'MakeCoffee'" in caught.value.message


def test_an_unknown_version_is_invalid_version(server: RunningServer) -> None:
    with pytest.raises(VigilApiError) as caught:
        server.client().call("ListKeys", version="1999-01-01")
    assert (caught.value.status, caught.value.code) == (400, "InvalidVersion")
    assert KMS in caught.value.message and VIGIL in caught.value.message


def test_a_kms_action_is_not_served_under_the_vigil_version(server: RunningServer) -> None:
    with pytest.raises(VigilApiError) as caught:
        server.client().vigil("Encrypt", {"KeyId": "key-x", "Plaintext": "eA=="})
    assert (caught.value.status, caught.value.code) == (400, "InvalidAction.NotFound")


GARBAGE: dict[str, tuple[str, dict[str, str], bytes]] = {
    "binary-form-body": ("", {"content-type": FORM}, bytes(range(256))),
    "json-as-form": ("", {"content-type": FORM}, b'{"Action": "ListKeys"}'),
    "json-body": (
        "",
        {"content-type": "application/json"},
        b'{"Action": "ListKeys", "Version": "2016-01-20"}',
    ),
    "xml-body": ("", {"content-type": "text/xml"}, b"<Request><Action>ListKeys</Action></Request>"),
    "bad-percent-escape": ("Action=%zz&Version=%", {}, b""),
    "non-ascii-query": ("Action=L\u00efstKeys", {}, b""),
    "authorization-nonsense": ("", {"authorization": "Basic dXNlcjpwYXNz"}, b""),
    "acs3-without-fields": ("", {"authorization": "ACS3-HMAC-SHA256 Credential"}, b""),
    "acs3-bad-signature": (
        "",
        {"authorization": "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz"},
        b"",
    ),
    "rpc-half-signed": ("Signature=abc&AccessKeyId=x", {}, b""),
    "rpc-bad-timestamp": (
        "Action=ListKeys&Version=2016-01-20&AccessKeyId=x&Timestamp=yesterday&SignatureNonce=n"
        "&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        {},
        b"",
    ),
    "body-over-one-mebibyte": ("", {"content-type": FORM}, b"a=" + b"x" * (1 << 20)),
}


def answer_fault(status: int, answer: Any) -> str | None:
    """Why an answer to garbage is wrong: anything but a 4xx with a complete error body."""
    if not 400 <= status < 500:
        return f"HTTP {status}: {answer}"
    if not set(answer) >= {"Code", "Message", "RequestId"}:
        return f"incomplete error body {answer}"
    return None


def test_an_unsigned_garbage_request_is_a_client_error_never_a_500(server: RunningServer) -> None:
    faults = {case: answer_fault(*post(server, *request)) for case, request in GARBAGE.items()}
    assert {case: fault for case, fault in faults.items() if fault} == {}


SIGNED_GARBAGE: dict[str, tuple[str, str, bytes]] = {
    "binary": ("Encrypt", KMS, bytes(range(256))),
    "invalid-utf8-escape": ("Encrypt", KMS, b"KeyId=%ff%fe&Plaintext=x"),
    "empty-values": ("Encrypt", KMS, b"KeyId=&Plaintext="),
    "deeply-nested-context": (
        "Encrypt",
        KMS,
        b"KeyId=alias%2Freal&Plaintext=x&EncryptionContext=" + b"%5B" * 50_000,
    ),
    "broken-literal-context": (
        "Encrypt",
        KMS,
        b"KeyId=alias%2Freal&Plaintext=x&EncryptionContext=%7B%27a%27%3A",
    ),
    "separators": ("Encrypt", KMS, b"&&&===&&&"),
    "deeply-nested-policy": ("CreatePolicy", VIGIL, b"PolicyName=deep&PolicyDocument=" + b"%5B" * 50_000),
    "policy-not-an-object": ("CreatePolicy", VIGIL, b"PolicyName=list&PolicyDocument=%5B1%5D"),
    "user-name-binary": ("CreateUser", VIGIL, b"UserName=%00%01%02"),
}


def test_a_signed_garbage_form_body_is_a_client_error_never_a_500(server: RunningServer) -> None:
    key_id = server.client().call("CreateKey")["KeyMetadata"]["KeyId"]
    server.client().call("CreateAlias", {"AliasName": "alias/real", "KeyId": key_id})
    faults = {}
    for case, (action, version, body) in SIGNED_GARBAGE.items():
        headers = signed_headers(server, action, {}, version=version, body=body, content_type=FORM)
        faults[case] = answer_fault(*post(server, {}, headers, body))
    assert {case: fault for case, fault in faults.items() if fault} == {}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    content_type=st.sampled_from([FORM, "application/json", "text/plain", "", f"{FORM}; charset=utf-8"]),
    action=st.sampled_from(
        ["Encrypt", "Decrypt", "CreateKey", "GenerateDataKey", "CreateUser", "CreatePolicy"]
    ),
)
def test_no_signed_body_of_any_shape_produces_a_500(
    server: RunningServer, body: bytes, content_type: str, action: str
) -> None:
    version = VIGIL if action in ("CreateUser", "CreatePolicy") else KMS
    headers = signed_headers(
        server, action, {}, version=version, body=body, content_type=content_type or None
    )
    status, answer = post(server, {}, headers, body)
    assert status < 500, answer
    assert "RequestId" in answer
