"""A realistic audit trail for the audit-query benchmark: who calls what, on which key or secret, and
how often it fails.

One main account and a small second one; KMS dominates (cryptographic calls most of all), with CMS,
ActionTrail, Huawei CSMS and Vigil's own actions around it; a few hundred keys and secrets; about 2 %
errors, the Rejected.* codes among them; a tenth of the cryptographic calls go through a KMS
instance and land in its log store. Values are drawn from a seeded Random, so a run is repeatable.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from vigil.audit.model import AuditRecord

REGION = "cn-hangzhou"
ERRORS = (
    ("Rejected.Disabled", "The key is disabled.", 30),
    ("Rejected.PendingDeletion", "The key is pending deletion.", 15),
    ("Rejected.Unavailable", "The key material is unavailable.", 10),
    ("Forbidden.KeyNotFound", "The specified key is not found.", 20),
    ("Forbidden.RAM", "User not authorized to operate on the specified resource.", 15),
    ("Rejected.Throttling", "QPS Limit Exceeded.", 5),
    ("InvalidParameter", "The specified parameter is not valid.", 5),
)
ERROR_RATE = 0.02
INSTANCE_SHARE = 0.10
"""Of the cryptographic calls (Encrypt, Decrypt, GenerateDataKey…), the share made through a KMS instance."""


@dataclass(frozen=True, slots=True)
class Action:
    service: str
    name: str
    rw: str
    weight: float
    resource: str  # "key", "secret", "rule", "trail" or "" (no resource)
    crypto: bool = False


ACTIONS = (
    Action("Kms", "Encrypt", "Read", 22, "key", crypto=True),
    Action("Kms", "Decrypt", "Read", 22, "key", crypto=True),
    Action("Kms", "GenerateDataKey", "Read", 8, "key", crypto=True),
    Action("Kms", "GenerateDataKeyWithoutPlaintext", "Read", 1, "key", crypto=True),
    Action("Kms", "AsymmetricSign", "Read", 2, "key", crypto=True),
    Action("Kms", "AsymmetricVerify", "Read", 1, "key", crypto=True),
    Action("Kms", "ReEncrypt", "Read", 0.5, "key", crypto=True),
    Action("Kms", "GetSecretValue", "Read", 15, "secret"),
    Action("Kms", "DescribeKey", "Read", 4, "key"),
    Action("Kms", "DescribeKeyVersion", "Read", 0.5, "key"),
    Action("Kms", "ListKeys", "Read", 1.5, ""),
    Action("Kms", "ListAliases", "Read", 0.5, ""),
    Action("Kms", "ListSecrets", "Read", 1, ""),
    Action("Kms", "DescribeSecret", "Read", 1.5, "secret"),
    Action("Kms", "ListSecretVersionIds", "Read", 0.3, "secret"),
    Action("Kms", "CreateKey", "Write", 0.05, "key"),
    Action("Kms", "EnableKey", "Write", 0.05, "key"),
    Action("Kms", "DisableKey", "Write", 0.05, "key"),
    Action("Kms", "ScheduleKeyDeletion", "Write", 0.03, "key"),
    Action("Kms", "CancelKeyDeletion", "Write", 0.01, "key"),
    Action("Kms", "CreateKeyVersion", "Write", 0.05, "key"),
    Action("Kms", "TagResource", "Write", 0.1, "key"),
    Action("Kms", "CreateSecret", "Write", 0.05, "secret"),
    Action("Kms", "PutSecretValue", "Write", 0.3, "secret"),
    Action("Kms", "RotateSecret", "Write", 0.05, "secret"),
    Action("Kms", "UpdateSecretVersionStage", "Write", 0.05, "secret"),
    Action("Cms", "DescribeSystemEventAttribute", "Read", 4, ""),
    Action("Cms", "DescribeEventRuleList", "Read", 2, "rule"),
    Action("Cms", "PutEventRule", "Write", 0.5, "rule"),
    Action("Cms", "PutEventTargets", "Write", 0.5, "rule"),
    Action("Cms", "PutCustomEvent", "Write", 1, ""),
    Action("Actiontrail", "LookupEvents", "Read", 2.5, ""),
    Action("Actiontrail", "DescribeTrails", "Read", 0.5, "trail"),
    Action("Csms", "ShowSecretVersion", "Read", 4, "secret"),
    Action("Csms", "ListSecrets", "Read", 1, ""),
    Action("Csms", "CreateSecretVersion", "Write", 0.5, "secret"),
    Action("Csms", "ShowSecret", "Read", 0.5, "secret"),
    Action("Vigil", "DescribeNotificationRecords", "Read", 1.5, ""),
    Action("Vigil", "CreateSubscription", "Write", 0.2, ""),
    Action("Vigil", "AdvanceClock", "Write", 0.05, ""),
    Action("Vigil", "RotateRootKey", "Write", 0.01, ""),
)
RESOURCE_TYPES = {
    "key": "ACS::KMS::Key",
    "secret": "ACS::KMS::Secret",
    "rule": "ACS::CMS::EventRule",
    "trail": "ACS::ActionTrail::Trail",
    "": "",
}
SOURCES = {
    "Kms": f"kms.{REGION}.aliyuncs.com",
    "Cms": f"metrics.{REGION}.aliyuncs.com",
    "Actiontrail": f"actiontrail.{REGION}.aliyuncs.com",
    "Csms": "csms.cn-north-4.myhuaweicloud.com",
    "Vigil": f"vigil.{REGION}.aliyuncs.com",
}
API_VERSIONS = {
    "Kms": "2016-01-20",
    "Cms": "2019-01-01",
    "Actiontrail": "2020-07-06",
    "Csms": "v1",
    "Vigil": "2026-11-01",
}
AGENTS = (
    "AlibabaCloud (Linux; amd64) Python/3.11.7 Core/0.3.13 TeaDSL/1 alibabacloud-kms20160120/3.3.1",
    "AlibabaCloud (Linux; amd64) Go/1.22 Core/1.2.0 TeaDSL/1",
    "aliyun-sdk-java/4.6.4 (Linux 5.15; amd64) Java/17.0.9",
    "alibabacloud-secretsmanager-client-v2/2.0.1 Python/3.11.7",
    "huaweicloud-sdk-python/3.1.86",
    "vigil-cli/0.1.0",
)


@dataclass(frozen=True, slots=True)
class User:
    name: str
    principal_id: str
    access_keys: tuple[str, ...]
    identity_type: str
    source_ip: str


@dataclass
class AuditMix:
    """The population a trail is drawn from, and the draw."""

    rng: random.Random
    account_id: str
    other_account_id: str
    keys: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, rng: random.Random, account_id: str, other_account_id: str) -> AuditMix:
        mix = cls(rng, account_id, other_account_id)
        mix.keys = [f"key-{_code(rng, 4)}{_code(rng, 16)}" for _ in range(300)]
        apps = ("orders", "billing", "search", "auth", "reports", "gateway", "ledger", "mail", "crm", "etl")
        kinds = ("db-password", "api-token", "tls-key", "oauth-client", "webhook-secret")
        mix.secrets = [f"{app}/{kind}-{n}" for app in apps for kind in kinds for n in range(3)]
        mix.users = [
            User(name, f"2{rng.randrange(10**16, 10**17)}", _access_keys(rng, name), kind, _ip(rng))
            for name, kind in (
                ("root", "root-account"), ("ops-admin", "ram-user"), ("alice", "ram-user"), ("bob", "ram-user"),
                ("deploy-bot", "ram-user"), ("orders-svc", "assumed-role"), ("billing-svc", "assumed-role"),
                ("auditor", "ram-user"),
            )
        ]  # fmt: skip
        mix.instances = [f"kst-{_code(rng, 4)}{_code(rng, 16)}" for _ in range(3)]
        mix.rules = [f"rule-{n}" for n in range(20)]
        return mix

    def records(self, times: Iterator[int]) -> Iterator[AuditRecord]:
        """One record per time, in the order given."""
        weights = [a.weight for a in ACTIONS]
        error_weights = [w for _, _, w in ERRORS]
        for moment in times:
            action = self.rng.choices(ACTIONS, weights)[0]
            error = self.rng.choices(ERRORS, error_weights)[0] if self.rng.random() < ERROR_RATE else None
            yield self._record(moment, action, error)

    def _record(self, moment: int, action: Action, error: tuple[str, str, int] | None) -> AuditRecord:
        rng = self.rng
        user = rng.choice(self.users)
        resource = self._resource(action)
        instance = rng.choice(self.instances) if action.crypto and rng.random() < INSTANCE_SHARE else ""
        background = action.name == "ScheduleKeyDeletion" and rng.random() < 0.5
        request, response = self._parameters(action, resource)
        return AuditRecord(
            event_id=_time_ordered_uuid(rng, moment),
            account_id=self.other_account_id if rng.random() < 0.01 else self.account_id,
            event_time_ms=moment,
            service_name=action.service,
            event_name="DeleteKeyMaterial" if background else action.name,
            event_rw=action.rw,
            event_type="ServiceEvent" if background else "ApiCall",
            event_source=SOURCES[action.service],
            request_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
            acs_region=REGION,
            source_ip="" if background else user.source_ip,
            user_agent="" if background else rng.choice(AGENTS),
            identity_type="service" if background else user.identity_type,
            principal_id="kms" if background else user.principal_id,
            user_name="" if background else user.name,
            access_key_id="" if background else rng.choice(user.access_keys),
            resource_type=RESOURCE_TYPES[action.resource],
            resource_name=resource,
            error_code=error[0] if error else "",
            error_message=error[1] if error else "",
            request_parameters=request,
            response_elements=None if error else response,
            instance_id=instance,
            api_version=API_VERSIONS[action.service],
        )

    def _resource(self, action: Action) -> str:
        match action.resource:
            case "key":
                return self.rng.choice(self.keys)
            case "secret":
                return self.rng.choice(self.secrets)
            case "rule":
                return self.rng.choice(self.rules)
            case "trail":
                return "default-trail"
        return ""

    def _parameters(self, action: Action, resource: str) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = self.rng
        version = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if action.resource == "key":
            request: dict[str, Any] = {"KeyId": resource}
            response: dict[str, Any] = {"KeyId": resource, "KeyVersionId": version}
            if action.name in ("Encrypt", "GenerateDataKey", "ReEncrypt"):
                request["EncryptionContext"] = '{"app":"orders"}' if rng.random() < 0.3 else ""
                response["CiphertextBlob"] = _blob(rng, 120)
            if action.name == "Decrypt":
                request = {"CiphertextBlob": _blob(rng, 120)}
            if action.name == "GenerateDataKey":
                request["NumberOfBytes"] = "32"
            return request, response
        if action.resource == "secret":
            stage = "ACSCurrent"
            return (
                {"SecretName": resource, "VersionStage": stage},
                {
                    "SecretName": resource,
                    "VersionId": version,
                    "SecretData": "******",
                    "SecretDataType": "text",
                },
            )
        if action.name.startswith("List") or action.name.startswith("Describe"):
            return {"PageNumber": "1", "PageSize": "20"}, {
                "TotalCount": rng.randrange(0, 400),
                "PageNumber": 1,
            }
        if action.resource == "rule":
            return {"RuleName": resource}, {"Success": True}
        return {}, {}


def _time_ordered_uuid(rng: random.Random, time_ms: int) -> str:
    """vigil.ids.time_ordered_uuid's layout (as the recorder assigns event ids), from a seeded Random."""
    rand_a, rand_b = rng.getrandbits(12), rng.getrandbits(62)
    return str(uuid.UUID(int=(time_ms & (2**48 - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b))


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


def _access_keys(rng: random.Random, name: str) -> tuple[str, ...]:
    return tuple(f"LTAI5t{_code(rng, 18).upper()}" for _ in range(1 if name == "root" else 2))


def _ip(rng: random.Random) -> str:
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _blob(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n * 3 // 4)).decode()


def spread(start_ms: int, end_ms: int, count: int, rng: random.Random) -> Iterator[int]:
    """``count`` times in [start_ms, end_ms), ascending, evenly spaced with a little jitter."""
    step = (end_ms - start_ms) / count
    for i in range(count):
        yield int(start_ms + i * step + rng.random() * step)
