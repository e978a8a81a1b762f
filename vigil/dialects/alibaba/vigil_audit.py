"""Vigil's audit operations (version 2026-11-01): the advanced query over the trail or a KMS instance's
log store (docs/audit-query.md), checking a value against the trail's hashes, and the journal's health.
"""

from __future__ import annotations

import re
from typing import Any

from vigil.clock import DAY_MS
from vigil.dialects.alibaba.actiontrail import direction, next_cursor, trail_resource, window
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument
from vigil.http.calls import CallContext, Operation

DEFAULT_RESULTS = 20
MAX_RESULTS = 100
DEFAULT_WINDOW_MS = DAY_MS
_HASH = re.compile(r"hmac-sha256:[0-9a-f]{64}")
Result = dict[str, Any]


def search_resource(ctx: CallContext, p: Params) -> str:
    """The trail (acs:actiontrail:…:trail/*), or with InstanceId that KMS instance (acs:kms:…:instance/<id>)."""
    instance_id = p.str("InstanceId", max_len=64)
    return ctx.arn("instance", instance_id) if instance_id else trail_resource(ctx, p)


def search_audit_events(ctx: CallContext, p: Params) -> Result:
    """A page of the records a query finds, newest first unless Direction=FORWARD; or, for a query
    ending in ``| stats``, its rows. Raises QueryError (InvalidParameter.Query) naming the column."""
    instance_id = p.str("InstanceId", max_len=64)
    settings = ctx.services.settings
    days = settings.audit_retention_days
    if instance_id is not None:
        ctx.services.instances.get(ctx.account_id, instance_id)  # raises InstanceNotFound
        days = settings.audit_instance_retention_days
    span = window(ctx, p, default_ms=DEFAULT_WINDOW_MS, max_age_days=days, epoch_ms=True)
    limit = p.int("MaxResults", DEFAULT_RESULTS, lo=0, hi=MAX_RESULTS) or DEFAULT_RESULTS
    found = ctx.services.audit.trail.search(
        ctx.account_id,
        p.str("Query") or "",
        span.start_ms,
        span.end_ms,
        limit,
        next_cursor(p),
        instance_id,
        direction(p),
    )
    start, end = span.iso(milliseconds=True)
    result: Result = {"StartTime": start, "EndTime": end}
    if found.rows is not None:
        result["GroupBy"] = list(found.group_by)
        result["Rows"] = [{"Values": list(row.values), "Count": row.count} for row in found.rows]
        return result
    page = found.page
    result["Events"] = [r.to_event() for r in page.records] if page else []
    if page is not None and page.next is not None:
        result["NextToken"] = page.next.token()
    return result


def audit_hash(ctx: CallContext, p: Params) -> Result:
    """The ``hmac-sha256:`` form the trail would keep of Value, and with Hash whether they match.
    Value itself is never logged, echoed or kept: its own record holds the hash instead."""
    value = p.required("Value")
    hashed = ctx.services.audit.trail.redactor.hash(value)
    result: Result = {"Hash": hashed}
    stored = p.str("Hash", max_len=128)
    if stored is not None:
        stored = stored.strip().lower()
        if _HASH.fullmatch(stored) is None:
            raise InvalidArgument(
                "Hash must be a value as records show it: hmac-sha256: followed by 64 hex digits"
            )
        result["Matches"] = ctx.services.audit.trail.redactor.matches(value, stored)
    return result


def get_audit_status(ctx: CallContext, _: Params) -> Result:
    """This process's journal: records written, records refused, and whether writes fail now; and
    how many journal bytes (every process's) are still waiting to be indexed."""
    trail = ctx.services.audit.trail
    status = trail.status()
    return {
        "IndexBacklogBytes": trail.indexer.unindexed_bytes(),
        "RecordsWritten": status.written,
        "RecordsFailed": status.failures,
        "LastFailure": status.last_failure,
        "Failing": status.failing,
        "Segment": status.segment,
    }


OPERATIONS = [
    Operation("Vigil", "SearchAuditEvents", search_audit_events, "Read", True, search_resource),
    Operation("Vigil", "AuditHash", audit_hash, "Read", True, trail_resource),
    Operation("Vigil", "GetAuditStatus", get_audit_status, "Read", True, trail_resource),
]
