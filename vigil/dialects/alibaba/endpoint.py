"""The Alibaba POP endpoint on ``/``: dispatch on (Version, Action), authenticate, run, render.

A plain ASGI callable rather than a framework route: this is the hot path of every KMS
call, so it does only what the protocol needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import orjson

from vigil import ids
from vigil.audit.calls import CallTrace
from vigil.dialects.alibaba.pop import Params, decode_pairs
from vigil.dialects.alibaba.signatures import HttpRequestParts, read_claim
from vigil.errors import Internal, InvalidArgument, Throttled, VigilError
from vigil.http import asgi, auditing
from vigil.http.asgi import Receive, Scope, Send
from vigil.http.calls import CallContext, Operation
from vigil.http.errors import status_of
from vigil.http.pipeline import execute
from vigil.iam.authn import Authenticator

log = logging.getLogger("vigil.http")


_FORM = "application/x-www-form-urlencoded"
_PRODUCTS = {"2016-01-20": "Kms", "2019-01-01": "Cms", "2020-07-06": "Actiontrail", "2026-11-01": "Vigil"}
"""The product of an API version, for the record of a call that fails before its operation is known."""
_JSON_HEADERS = [(b"content-type", b"application/json;charset=utf-8")]


class UnknownAction(InvalidArgument):
    code = "InvalidAction.NotFound"


class UnknownVersion(InvalidArgument):
    code = "InvalidVersion"


class PopEndpoint:
    def __init__(
        self,
        operations: Iterable[tuple[str, Operation]],
        authenticator: Authenticator,
        services: Any,
        *,
        host_id: str,
    ) -> None:
        self._ops = {(version, op.name): op for version, op in operations}
        self._versions = {version for version, _ in self._ops}
        self._authenticator = authenticator
        self._services = services
        self._host_id = host_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        trace = auditing.start_trace(scope, request_id, self._services)
        try:
            body = await asgi.read_body(receive)
            status, payload, extra = await self._handle(scope, body, trace)
        except VigilError as exc:
            trace.error = exc
            status, payload, extra = self._error(exc, request_id)
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            trace.error = Internal("an internal error occurred; see the server log")
            status, payload = (
                500,
                {
                    "RequestId": request_id,
                    "HostId": self._host_id,
                    "Code": "InternalFailure",
                    "Message": "an internal error occurred; see the server log",
                },
            )
            extra = []
        refused = await auditing.record(self._services, trace)
        if refused is not None:
            status, payload, extra = self._error(refused, request_id)
        headers = [*_JSON_HEADERS, (b"x-acs-request-id", request_id.encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": orjson.dumps(payload)})

    async def _handle(self, scope: Scope, body: bytes, trace: CallTrace) -> tuple[int, Any, list[Any]]:
        request_id = trace.request_id
        headers = asgi.headers(scope)
        raw_query = scope.get("query_string", b"").decode("latin-1")
        form = dict(decode_pairs(_text(body))) if _is_form(headers) and body else None
        params = dict(decode_pairs(raw_query))
        if form:
            params.update(form)
        trace.params = params
        version = headers.get("x-acs-version") or params.get("Version") or ""
        trace.service, trace.api_version = _PRODUCTS.get(version, ""), version[:40]
        trace.action = headers.get("x-acs-action") or params.get("Action") or ""
        known = self._ops.get((version, trace.action))
        if known is not None:  # a call refused before it is authenticated still reads as Read or Write
            trace.rw = known.rw
        parts = HttpRequestParts(
            scope["method"],
            scope.get("raw_path", b"/").decode("latin-1").split("?")[0],
            raw_query,
            headers,
            body,
        )
        claim = read_claim(parts, form)
        trace.claimed_access_key = claim.access_key_id or ""
        principal = self._authenticator.authenticate(claim)
        trace.principal = principal
        op = self._operation(headers, params)
        trace.service, trace.action, trace.rw = op.service, op.name, op.rw
        trace.api_version = headers.get("x-acs-version") or params.get("Version") or ""
        auditing.refuse_while_failing(self._services, trace)
        auditing.refuse_when_log_full(self._services, trace)
        client = scope.get("client") or ("", 0)
        ctx = CallContext(
            request_id,
            principal,
            self._services,
            op.service,
            op.name,
            client[0],
            headers.get("user-agent", ""),
        )
        trace.resources = ctx.resources
        result = await execute(op, ctx, Params(params))
        result["RequestId"] = request_id
        trace.response = result
        return 200, result, []

    def _operation(self, headers: dict[str, str], params: dict[str, str]) -> Operation:
        version = headers.get("x-acs-version") or params.get("Version") or ""
        action = headers.get("x-acs-action") or params.get("Action") or ""
        op = self._ops.get((version, action))
        if op is not None:
            return op
        if version not in self._versions:
            raise UnknownVersion(
                f"API version {version!r} is not served here; use one of {sorted(self._versions)}"
            )
        raise UnknownAction(f"action {action!r} does not exist in API version {version}")

    def _error(self, exc: VigilError, request_id: str) -> tuple[int, Any, list[Any]]:
        extra: list[Any] = []
        if isinstance(exc, Throttled):
            extra.append((b"x-acs-retry-after", str(exc.retry_after_ms).encode()))
        payload = {"RequestId": request_id, "HostId": self._host_id, "Code": exc.code, "Message": exc.message}
        return status_of(exc), payload, extra


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument("the form body is not valid UTF-8") from None


def _is_form(headers: dict[str, str]) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == _FORM
