"""The endpoints' side of the audit trail: start a call's trace as the request arrives, refuse the
call up front while audit records cannot be written, and make its record durable before the
answer goes out (an answer whose record cannot be written becomes an AuditUnavailable error)."""

from __future__ import annotations

import logging
from typing import Any

from vigil.audit.calls import CallTrace
from vigil.audit.journal import AuditUnavailable
from vigil.http import asgi
from vigil.http.asgi import Scope

log = logging.getLogger("vigil.audit")

ANSWERED_WHILE_FAILING = frozenset({("Vigil", "GetAuditStatus")})
"""Calls answered even while records cannot be written: reading why the journal fails is what an
operator needs then. Their record is still attempted, and its failure counted."""


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


def refuse_while_failing(services: Any, trace: CallTrace | None = None) -> None:
    """Fail-closed: nothing runs while the journal cannot take records (the refusal's own record is
    the write that tells when it can again), except the calls of ANSWERED_WHILE_FAILING."""
    if trace is not None and (trace.service, trace.action) in ANSWERED_WHILE_FAILING:
        return
    if services.audit.trail.journal.failing:
        raise AuditUnavailable(
            "audit records cannot be written at the moment, so no call is carried out; "
            "see GetAuditStatus and the server log"
        )


def refuse_when_log_full(services: Any, trace: CallTrace) -> None:
    """With VIGIL_AUDIT_LOG_FULL=reject-requests, a data-plane call on a key or secret whose
    instance's log store is full is refused before it runs (Rejected.LogStoreFull)."""
    logs = services.audit.trail.logs
    if logs is not None:
        logs.refuse_when_full(services.iam.account.account_id, trace.action, trace.params)


async def record(services: Any, trace: CallTrace) -> AuditUnavailable | None:
    """Write the call's record; the error to answer with instead, if it could not be written.
    Nothing is written under VIGIL_AUDIT=off (only ever set to measure what auditing costs)."""
    if not services.audit.enabled:
        return None
    try:
        await services.audit.trail.record_call(trace, services.iam.account.account_id)
    except AuditUnavailable as exc:
        if (trace.service, trace.action) in ANSWERED_WHILE_FAILING and trace.error is None:
            log.warning("%s answered without its audit record: %s", trace.action, exc.message)
            return None
        return exc
    return None
