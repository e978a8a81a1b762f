"""The Huawei Cloud CSMS endpoint on ``/v1/{project_id}/...``: authenticate, route, run, render (WIRE.md §8).

A plain ASGI callable like the Alibaba endpoint. Every answer carries ``X-Request-Id``; errors are
``{"error_code", "error_msg"}`` with the status from ``vigil.http.errors`` and the code from
``vigil.dialects.huawei.errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import orjson

from vigil import ids
from vigil.audit.calls import CallTrace
from vigil.dialects.huawei.errors import (
    ProjectMismatch,
    ProjectNotFound,
    RouteNotFound,
    csms_code,
)
from vigil.dialects.huawei.rest import Fields, Route, parse_body
from vigil.dialects.huawei.signatures import HttpRequestParts, read_claim
from vigil.dialects.signing import parse_query, percent_decode
from vigil.errors import Internal, Throttled, VigilError
from vigil.http import asgi, auditing
from vigil.http.asgi import Receive, Scope, Send
from vigil.http.calls import CallContext
from vigil.http.errors import status_of
from vigil.http.pipeline import execute
from vigil.iam.authn import Authenticator

log = logging.getLogger("vigil.http")


PREFIX = "/v1/"
_JSON = (b"content-type", b"application/json;charset=UTF-8")
# The SDK answers 429 with urllib3's retry text instead of our body (WIRE.md §8.3).
_THROTTLED_STATUS = 400


class CsmsEndpoint:
    def __init__(self, routes: Iterable[Route], authenticator: Authenticator, services: Any) -> None:
        self._routes = list(routes)
        self._authenticator = authenticator
        self._services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ids.request_id()
        trace = auditing.start_trace(scope, request_id, self._services)
        trace.service = "Csms"
        extra: list[tuple[bytes, bytes]] = []
        try:
            body = await asgi.read_body(receive)
            status, payload = await self._handle(scope, body, trace)
        except VigilError as exc:
            trace.error = exc
            status, payload, extra = _error(exc, request_id)
        except Exception:
            log.exception("unhandled error in request %s", request_id)
            trace.error = Internal("unhandled exception; traceback above")
            status, payload, extra = _error(trace.error, request_id)
        refused = await auditing.record(self._services, trace)
        if refused is not None:
            status, payload, extra = _error(refused, request_id)
        headers = [(b"x-request-id", request_id.encode()), *extra]
        if payload is None:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": status, "headers": [_JSON, *headers]})
        await send({"type": "http.response.body", "body": orjson.dumps(payload)})

    async def _handle(self, scope: Scope, body: bytes, trace: CallTrace) -> tuple[int, dict[str, Any] | None]:
        request_id = trace.request_id
        headers = asgi.headers(scope)
        method = scope["method"].upper()
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?")[0]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        claim = read_claim(HttpRequestParts(method, raw_path, raw_query, headers, body))
        trace.claimed_access_key = claim.access_key_id or ""
        principal = self._authenticator.authenticate(claim)
        trace.principal = principal
        segments = _segments(raw_path)
        self._check_project(segments[0], claim.project_id)
        route, path_params = self._route(method, segments[1:], raw_path)
        fields = Fields(path_params, dict(parse_query(raw_query)), parse_body(body))
        op = route.operation
        trace.service, trace.action, trace.rw, trace.api_version = op.service, op.name, op.rw, "v1"
        trace.params = {**fields.path, **fields.query, **fields.body}
        auditing.refuse_while_failing(self._services)
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
        result = await execute(op, ctx, fields)
        trace.response = result if route.status != 204 else None
        return route.status, None if route.status == 204 else result

    def _check_project(self, path_project: str, header_project: str | None) -> None:
        """Raises ProjectMismatch or ProjectNotFound unless both name this deployment's project."""
        if header_project is not None and header_project != path_project:
            raise ProjectMismatch(
                f"X-Project-Id {header_project[:64]!r} does not match the project id in the path "
                f"{path_project[:64]!r}"
            )
        served = self._services.iam.account.project_id
        if path_project != served:
            raise ProjectNotFound(
                f"project {path_project[:64]!r} does not exist here; this Vigil serves project {served}, "
                "so pass that as BasicCredentials' project_id"
            )

    def _route(self, method: str, segments: tuple[str, ...], raw_path: str) -> tuple[Route, dict[str, str]]:
        for route in self._routes:
            params = route.match(method, segments)
            if params is not None:
                return route, params
        raise RouteNotFound(f"no CSMS operation is served at {method} {raw_path[:200]}")


def _segments(raw_path: str) -> tuple[str, ...]:
    """The decoded segments after ``/v1/``, split before decoding so a ``%2F`` stays inside its segment."""
    if not raw_path.startswith(PREFIX):
        raise RouteNotFound(f"CSMS paths start with {PREFIX}{{project_id}}/")
    rest = raw_path[len(PREFIX) :]
    if rest.endswith("/"):
        rest = rest[:-1]
    segments = tuple(percent_decode(s, "request path", plus_is_space=False) for s in rest.split("/"))
    if not segments[0]:
        raise RouteNotFound(f"CSMS paths start with {PREFIX}{{project_id}}/")
    return segments


def _error(exc: VigilError, request_id: str) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    status = status_of(exc)
    message = exc.message
    extra: list[tuple[bytes, bytes]] = []
    if isinstance(exc, Internal):
        log.error("internal error in request %s: %s", request_id, exc.message)
        message = f"an internal error occurred; see the server log for request {request_id}"
    if isinstance(exc, Throttled):
        status = _THROTTLED_STATUS
        extra.append((b"retry-after", str(max(1, -(-exc.retry_after_ms // 1000))).encode()))
    return status, {"error_code": csms_code(exc), "error_msg": message}, extra
