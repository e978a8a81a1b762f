"""From an API call to its audit record: what the endpoint saw (``CallTrace``) becomes an
``AuditRecord`` with every sensitive value hashed, the resource named as ActionTrail names it,
and data-plane calls tied to the KMS instance whose log store keeps them."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from vigil import ids
from vigil.audit.model import AuditRecord, EventType, event_time
from vigil.audit.redaction import Redactor
from vigil.errors import VigilError
from vigil.iam.model import Principal

DATA_PLANE = frozenset(
    {
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateAndExportDataKey",
        "ExportDataKey",
        "AsymmetricEncrypt",
        "AsymmetricDecrypt",
        "AsymmetricSign",
        "AsymmetricVerify",
        "GetSecretValue",
        "ShowSecretVersion",  # Huawei CSMS: a version with its value
    }
)
"""Cryptographic operations and secret reads: kept per KMS instance for 180 days as well."""

SENSITIVE_ANSWERS = {"AsymmetricSign": frozenset({"value"})}
"""Fields that are sensitive only in one action's answer (AsymmetricSign's Value is a signature)."""
SENSITIVE_PARAMETERS = {"AuditHash": frozenset({"value"})}
"""Parameters that are sensitive only in one action (AuditHash's Value is a candidate plaintext)."""
UNRECORDED_ANSWERS = {
    "LookupEvents": frozenset({"Events"}),
    "SearchAuditEvents": frozenset({"Events", "Rows"}),
}
"""Answer fields left out of a record: the records an audit read returned are already in the trail,
and keeping them again would nest every page read inside the trail it was read from."""

_KINDS = {"key": "Key", "secret": "Secret", "alias": "Alias", "instance": "Instance"}


@dataclass(slots=True)
class CallTrace:
    """What an endpoint learns about a call as it goes; every field may still be empty when the
    call fails early (an unreadable request, a bad signature)."""

    request_id: str
    started_ms: int
    source_ip: str
    user_agent: str
    host: str
    service: str = ""
    action: str = ""
    api_version: str = ""
    rw: str = "Write"
    params: Mapping[str, Any] = field(default_factory=dict)
    claimed_access_key: str = ""
    principal: Principal | None = None
    resources: list[str] = field(default_factory=list)
    response: Mapping[str, Any] | None = None
    error: VigilError | None = None


InstanceOf = Callable[[str, str, str], str]
"""(account id, resource type, resource name) → the KMS instance id, or "" when unknown."""


class CallRecords:
    def __init__(self, redactor: Redactor, region: Callable[[], str], instance_of: InstanceOf) -> None:
        self._redactor = redactor
        self._region = region
        self._instance_of = instance_of

    def region(self) -> str:
        """The region records name (VIGIL_REGION)."""
        return self._region()

    def record(self, t: CallTrace, account_id: str) -> AuditRecord:
        """The call's record."""
        compact, instance = self.compact(t, account_id)
        event = expand(t.started_ms, compact)
        return AuditRecord.from_event(event, event_time_ms=t.started_ms, instance_id=instance)

    def line(self, t: CallTrace, account_id: str) -> bytes:
        """The call's journal line. It holds the call in its compact form: this runs on every call,
        before its answer, so what can wait (the event id, the ActionTrail layout) is left to the
        indexer, which expands the line into the record."""
        compact, instance = self.compact(t, account_id)
        return orjson.dumps({"t": t.started_ms, "i": instance, "c": compact})

    def compact(self, t: CallTrace, account_id: str) -> tuple[list[Any], str]:
        """What the call's record says (in the order of ``_COMPACT``), with every sensitive value
        hashed, and the KMS instance whose log store keeps it ("" for none)."""
        resource_type, resource_name = resource_of(t)
        p = t.principal
        error = t.error
        instance = ""
        if error is None and t.action in DATA_PLANE and resource_name:
            instance = self._instance_of(account_id, resource_type, resource_name)
        if p is None:
            identity = ["unknown", "", account_id, t.claimed_access_key[:128], ""]
        else:
            identity = [
                _identity_type(p),
                p.principal_id,
                p.account_id,
                p.access_key_id or "",
                p.user_name or "root",
            ]
        compact = [
            t.request_id,
            t.action or "(unknown action)",
            t.service or "Vigil",
            t.rw,
            t.host,
            t.source_ip,
            t.user_agent[:512],
            t.api_version,
            self._region(),
            *identity,
            resource_type,
            resource_name,
            "" if error is None else error.code,
            "" if error is None else error.message[:1024],
            _capped(self._redactor.redact(t.params, SENSITIVE_PARAMETERS.get(t.action, frozenset()))),
            self._answer(t),
        ]
        return compact, instance

    def _answer(self, t: CallTrace) -> dict[str, Any] | None:
        if t.response is None:
            return None
        left_out = UNRECORDED_ANSWERS.get(t.action)
        answer = {k: v for k, v in t.response.items() if k not in left_out} if left_out else t.response
        redacted: dict[str, Any] = self._redactor.redact(answer, SENSITIVE_ANSWERS.get(t.action, frozenset()))
        return redacted


LONG_VALUE = 4096
"""A request parameter longer than this (a batch of 100 events is about 70 KB) is kept as its first
512 characters, its length and its SHA-256, so the trail and its word index stay small."""


def _capped(params: dict[str, Any]) -> dict[str, Any]:
    return {k: _cut(v) if isinstance(v, str) and len(v) > LONG_VALUE else v for k, v in params.items()}


def _cut(value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{value[:512]}… ({len(value)} characters in all, sha256 {digest})"


_COMPACT = (
    "requestId",
    "eventName",
    "serviceName",
    "eventRW",
    "eventSource",
    "sourceIpAddress",
    "userAgent",
    "apiVersion",
    "acsRegion",
    "type",
    "principalId",
    "accountId",
    "accessKeyId",
    "userName",
    "resourceType",
    "resourceName",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
)
"""The fields of a call's compact form, in order."""
CALL_TEXT_FIELDS = _COMPACT.index("requestParameters")
"""The compact form's leading text fields (those before the parameters and the answer)."""
_IDENTITY = ("type", "principalId", "accountId", "accessKeyId", "userName")


def expand(time_ms: int, compact: Sequence[Any]) -> dict[str, Any]:
    """A call's ActionTrail event from its compact form, laid out as ``AuditRecord.to_event`` lays
    it out, with a new time-ordered event id (each journal line is expanded once, by the indexer).
    Raises ValueError for a compact form with the wrong number of fields."""
    if len(compact) != len(_COMPACT):
        raise ValueError(f"a call's compact form has {len(_COMPACT)} fields, this one {len(compact)}")
    c = dict(zip(_COMPACT, compact, strict=True))
    event: dict[str, Any] = {
        "eventId": ids.time_ordered_uuid(time_ms),
        "eventVersion": "1",
        "eventName": c["eventName"],
        "eventRW": c["eventRW"],
        "eventType": EventType.API_CALL.value,
        "eventSource": c["eventSource"],
        "eventCategory": "Management",
        "serviceName": c["serviceName"],
        "eventTime": event_time(time_ms),
        "requestId": c["requestId"],
        "acsRegion": c["acsRegion"],
        "sourceIpAddress": c["sourceIpAddress"],
        "userAgent": c["userAgent"],
        "userIdentity": {k: c[k] for k in _IDENTITY},
        "requestParameters": c["requestParameters"],
        "responseElements": c["responseElements"],
        "resourceName": c["resourceName"],
        "resourceType": c["resourceType"],
        "isGlobal": False,
        "apiVersion": c["apiVersion"],
    }
    if c["errorCode"]:
        event["errorCode"] = c["errorCode"]
    if c["errorMessage"]:
        event["errorMessage"] = c["errorMessage"]
    return event


def _identity_type(p: Principal | None) -> str:
    if p is None:
        return "unknown"
    return "root-account" if p.is_root else "ram-user"


@functools.lru_cache(maxsize=4096)
def _arn_resource(arn: str) -> tuple[str, str] | None:
    """(ACS::KMS::Key, key-…) of an ARN naming one resource, else None (calls come many to a key)."""
    parts = arn.split(":", 4)
    if len(parts) == 5 and "/" in parts[4]:
        kind, _, name = parts[4].partition("/")
        if name and name != "*":
            return f"ACS::{parts[1].upper()}::{_KINDS.get(kind, kind.capitalize())}", name
    return None


def resource_of(t: CallTrace) -> tuple[str, str]:
    """The resource as ActionTrail names it (ACS::KMS::Key, key-…) from the authorised ARN, else
    from the parameters or the answer; ("", "") for calls about no one resource."""
    for arn in reversed(t.resources):
        named = _arn_resource(arn)
        if named is not None:
            return named
    for source in (t.response or {}, t.params):
        for key, kind in (("KeyId", "ACS::KMS::Key"), ("SecretName", "ACS::KMS::Secret")):
            value = source.get(key)
            if isinstance(value, str) and value:
                return kind, value
        meta = source.get("KeyMetadata")
        if isinstance(meta, Mapping) and isinstance(meta.get("KeyId"), str):
            return "ACS::KMS::Key", meta["KeyId"]
    secret_name = t.params.get("secret_name")
    if isinstance(secret_name, str) and secret_name:
        return "ACS::CSMS::Secret", secret_name
    return "", ""
