"""The endpoints' side of the audit trail: start a call's trace as the request arrives, refuse the
call up front while audit records cannot be written, and make its record durable before the
answer goes out (an answer whose record cannot be written becomes an AuditUnavailable error)."""

from __future__ import annotations

from typing import Any

from vigil.audit.calls import CallTrace
from vigil.audit.journal import AuditUnavailable
from vigil.http import asgi
from vigil.http.asgi import Scope


def start_trace(scope: Scope, request_id: str, services: Any) -> CallTrace:
    headers = asgi.headers(scope)
    client = scope.get("client") or ("", 0)
    return CallTrace(
        request_id,
        services.clock.now_ms(),
        client[0],
        headers.get("user-agent", ""),
        headers.get("host", ""),
    )


def refuse_while_failing(services: Any) -> None:
    """Fail-closed: nothing runs while the journal cannot take records (the refusal's own record is
    the write that tells when it can again)."""
    if services.audit.trail.journal.failing:
        raise AuditUnavailable(
            "audit records cannot be written at the moment, so no call is carried out; "
            "see GetAuditStatus and the server log"
        )


async def record(services: Any, trace: CallTrace) -> AuditUnavailable | None:
    """Write the call's record; the error to answer with instead, if it could not be written."""
    try:
        await services.audit.trail.record_call(trace, services.iam.account.account_id)
    except AuditUnavailable as exc:
        return exc
    return None
