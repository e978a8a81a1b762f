"""From an API call to its audit record: what the endpoint saw (``CallTrace``) becomes an
``AuditRecord`` with every sensitive value hashed, the resource named as ActionTrail names it,
and data-plane calls tied to the KMS instance whose log store keeps them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil import ids
from vigil.audit.model import AuditRecord, EventType
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

    def record(self, t: CallTrace, account_id: str) -> AuditRecord:
        resource_type, resource_name = resource_of(t)
        p = t.principal
        succeeded = t.error is None
        also = SENSITIVE_ANSWERS.get(t.action, frozenset())
        instance = ""
        if succeeded and t.action in DATA_PLANE and resource_name:
            instance = self._instance_of(account_id, resource_type, resource_name)
        return AuditRecord(
            event_id=ids.time_ordered_uuid(t.started_ms),
            account_id=p.account_id if p is not None else account_id,
            event_time_ms=t.started_ms,
            service_name=t.service or "Vigil",
            event_name=t.action or "(unknown action)",
            event_rw=t.rw,
            event_type=EventType.API_CALL.value,
            event_source=t.host,
            request_id=t.request_id,
            acs_region=self._region(),
            source_ip=t.source_ip,
            user_agent=t.user_agent[:512],
            identity_type=_identity_type(p),
            principal_id=p.principal_id if p is not None else "",
            user_name=(p.user_name or "root") if p is not None else "",
            access_key_id=(p.access_key_id or "") if p is not None else t.claimed_access_key[:128],
            resource_type=resource_type,
            resource_name=resource_name,
            error_code="" if succeeded else t.error.code,  # type: ignore[union-attr]
            error_message="" if succeeded else t.error.message[:1024],  # type: ignore[union-attr]
            request_parameters=self._redactor.redact(dict(t.params)),
            response_elements=self._redactor.redact(dict(t.response), also)
            if t.response is not None
            else None,
            instance_id=instance,
            api_version=t.api_version,
        )


def _identity_type(p: Principal | None) -> str:
    if p is None:
        return "unknown"
    return "root-account" if p.is_root else "ram-user"


def resource_of(t: CallTrace) -> tuple[str, str]:
    """The resource as ActionTrail names it (ACS::KMS::Key, key-…) from the authorised ARN, else
    from the parameters or the answer; ("", "") for calls about no one resource."""
    for arn in reversed(t.resources):
        parts = arn.split(":", 4)
        if len(parts) == 5 and "/" in parts[4]:
            kind, _, name = parts[4].partition("/")
            if name and name != "*":
                return f"ACS::{parts[1].upper()}::{_KINDS.get(kind, kind.capitalize())}", name
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
