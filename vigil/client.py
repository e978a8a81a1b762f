"""A small Python client for Vigil: ACS3-HMAC-SHA256 signed POP calls over httpx.

It signs exactly as the official Alibaba SDKs do (WIRE.md §2.1), so it reaches every
Alibaba-dialect action (KMS 2016-01-20, Vigil 2026-11-01, and the later CMS and
ActionTrail versions) and is what the CLI speaks through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

KMS = "2016-01-20"
VIGIL = "2026-11-01"
STREAM_PATH = "/vigil/events/stream"
STREAM_ACTION = "StreamSystemEvents"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class VigilApiError(Exception):
    """An error answer from the server: HTTP status, API code and message."""

    def __init__(self, status: int, code: str, message: str, request_id: str) -> None:
        super().__init__(f"{code}: {message} (HTTP {status}, request {request_id})")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id


_FORM = "application/x-www-form-urlencoded"


def _pct(value: str) -> str:
    return quote(value, safe="~")


def acs3_headers(
    method: str,
    host: str,
    query: Mapping[str, str],
    action: str,
    version: str,
    access_key_id: str,
    secret: str,
    *,
    body: bytes = b"",
    content_type: str | None = None,
    now: datetime | None = None,
    nonce: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    path: str = "/",
) -> dict[str, str]:
    """The signed headers of one ACS3-HMAC-SHA256 request (query sent as given, body hashed).

    ``extra_headers`` are sent and signed too, as the SDK signs its user-agent and
    x-acs-credentials-provider.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "host": host,
        "x-acs-version": version,
        "x-acs-action": action,
        "x-acs-date": stamp,
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256,
    }
    if content_type:
        headers["content-type"] = content_type
    headers.update({k.lower(): v for k, v in (extra_headers or {}).items()})
    signed = sorted(headers)
    canonical_query = "&".join(f"{k}={_pct(query[k])}" for k in sorted(query))
    canonical_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed)
    request = "\n".join(
        [method, path, canonical_query, canonical_headers, ";".join(signed), headers["x-acs-content-sha256"]]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(request.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={';'.join(signed)},Signature={signature}"
    )
    return headers


class VigilClient:
    """``VigilClient(endpoint, access_key_id, secret).call("Encrypt", {...})`` returns the JSON body."""

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, *, timeout: float = 30.0):
        if "://" not in endpoint:
            endpoint = "http://" + endpoint
        self.endpoint = endpoint.rstrip("/")
        self._host = httpx.URL(self.endpoint).netloc.decode()
        self._ak = access_key_id
        self._secret = access_key_secret
        self._http = httpx.Client(base_url=self.endpoint, timeout=timeout)

    def __repr__(self) -> str:
        return f"VigilClient(endpoint={self.endpoint!r}, access_key_id={self._ak!r})"

    def call(
        self, action: str, params: Mapping[str, Any] | None = None, *, version: str = KMS
    ) -> dict[str, Any]:
        """Call one action. Raises VigilApiError for an error answer."""
        # Parameters travel in a form body, as the SDK sends large ones: no URL length limit, and
        # the signature covers the body's hash instead of a canonicalised query.
        form = {k: _wire(v) for k, v in (params or {}).items() if v is not None}
        payload = urlencode(form).encode()
        headers = acs3_headers(
            "POST", self._host, {}, action, version, self._ak, self._secret, body=payload, content_type=_FORM
        )
        response = self._http.post("/", content=payload, headers=headers)
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise VigilApiError(
                response.status_code,
                str(body.get("Code")),
                str(body.get("Message")),
                str(body.get("RequestId")),
            )
        return body

    def vigil(self, action: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.call(action, params, version=VIGIL)

    @contextmanager
    def stream(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        after_event_id: str | None = None,
        since: int | str | None = None,
        read_timeout: float | None = 60.0,
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """``with client.stream({"Level": "WARN"}) as events:`` iterates the account's system events as
        they commit (seed-format payloads), from the moment the ``with`` is entered, or resumed after an
        event id or from a time (Unix seconds or ms).

        ``filters`` take the CMS names: Product, EventType, Name, Level, Status, GroupId, SearchKeywords.
        ``read_timeout`` should exceed the server's heartbeat interval (15 s). Raises VigilApiError
        when the server refuses the stream.
        """
        wanted = {**(filters or {}), "AfterEventId": after_event_id, "Since": since}
        query = {k: _wire(v) for k, v in wanted.items() if v is not None}
        headers = acs3_headers(
            "GET", self._host, query, STREAM_ACTION, VIGIL, self._ak, self._secret, path=STREAM_PATH
        )
        url = STREAM_PATH + ("?" + urlencode(query) if query else "")
        timeout = httpx.Timeout(self._http.timeout.connect, read=read_timeout)
        with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                body = json.loads(response.read())
                raise VigilApiError(
                    response.status_code,
                    str(body.get("Code")),
                    str(body.get("Message")),
                    str(body.get("RequestId")),
                )
            yield _sse_payloads(response.iter_lines())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VigilClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _sse_payloads(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON data of each ``system-event`` message of a server-sent-events body; comments skipped."""
    event, data = "", list[str]()  # the message being read
    for line in lines:
        if not line:
            if data and event == "system-event":
                yield json.loads("\n".join(data))
            event, data = "", []
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
