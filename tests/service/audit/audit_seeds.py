"""A small audit trail: every seed statement of the product document has records it must find and
records it must not, each named for what it shows; opened on a backend as a Seeded store.

As the recorder does, a successful data-plane call carries the KMS instance of its key or secret
(so it is in that instance's log store as well as in the account's trail); a failed one carries none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vigil.audit import store
from vigil.audit.model import AuditRecord
from vigil.audit.query import compile_query
from vigil.storage.engine import Database
from vigil.storage.migrations import migrate

ACCOUNT = "1234567890123456"
OTHER_ACCOUNT = "6543210987654321"
T0 = int(datetime(2026, 1, 10, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000
KEY = "key-szz63dc8c429ermur4f8a"
KEY_SIBLING = "key-szz63dc8c429ermurXYZ9"  # the same masked id, key-szz63dc8c429ermur****
OTHER_KEY = "key-hzz00aa0a000aaaaa0000"
INSTANCE = "kst-hzz6500bb00ccddee000"  # the keys' instance
SECRETS_INSTANCE = "kst-hzz6500bb00ccddee111"  # the secrets' instance
OTHER_INSTANCE = "kst-bjj1100aa00bbccdd000"  # OTHER_ACCOUNT's instance

BASE = AuditRecord(
    event_id="",
    account_id=ACCOUNT,
    event_time_ms=T0,
    service_name="Kms",
    event_name="Encrypt",
    event_rw="Read",
    event_type="ApiCall",
    event_source="kms.cn-hangzhou.aliyuncs.com",
    request_id="",
    acs_region="cn-hangzhou",
    source_ip="10.0.3.17",
    user_agent="AlibabaCloud (Linux; amd64) Python/3.11 Core/0.3.12 TeaDSL/1",
    identity_type="ram-user",
    principal_id="208123456789012345",
    user_name="alice",
    access_key_id="LTAI5tAliceAccessKey0001",
    resource_type="ACS::KMS::Key",
    resource_name=KEY,
    request_parameters={"KeyId": KEY},
    response_elements={"KeyId": KEY, "KeyVersionId": "kv-1"},
    api_version="2016-01-20",
)


def secret(name: str, **fields: Any) -> dict[str, Any]:
    """A successful GetSecretValue of ``name`` (a data-plane call of SECRETS_INSTANCE), or with
    ``fields`` another call about the secret."""
    return {
        "event_name": "GetSecretValue",
        "instance_id": SECRETS_INSTANCE,
        "resource_type": "ACS::KMS::Secret",
        "resource_name": name,
        "request_parameters": {"SecretName": name, "VersionStage": "ACSCurrent"},
        "response_elements": {"SecretName": name, "VersionId": "v1"},
    } | fields


SEEDS: dict[str, dict[str, Any]] = {
    "encrypt": {"instance_id": INSTANCE},
    "decrypt by bob": {
        "event_name": "Decrypt",
        "instance_id": INSTANCE,
        "user_name": "bob",
        "access_key_id": "LTAI5tBobAccessKey000002",
    },
    "sibling key decrypt": {
        "event_name": "Decrypt",
        "instance_id": INSTANCE,
        "resource_name": KEY_SIBLING,
        "request_parameters": {"KeyId": KEY_SIBLING},
        "response_elements": {"KeyId": KEY_SIBLING},
    },
    "other key describe": {
        "event_name": "DescribeKey",
        "resource_name": OTHER_KEY,
        "request_parameters": {"KeyId": OTHER_KEY},
        "response_elements": {"KeyMetadata": {"KeyId": OTHER_KEY, "KeyState": "Enabled"}},
    },
    "disable key (write)": {"event_name": "DisableKey", "event_rw": "Write", "response_elements": None},
    "encrypt rejected disabled": {
        "error_code": "Rejected.Disabled",
        "error_message": "The key is disabled.",
        "response_elements": None,
    },
    "decrypt rejected pending deletion": {
        "event_name": "Decrypt",
        "resource_name": OTHER_KEY,
        "request_parameters": {"CiphertextBlob": "x" * 150},
        "error_code": "Rejected.PendingDeletion",
        "error_message": "The key is pending deletion.",
        "response_elements": None,
    },
    "generate data key rejected unavailable": {
        "event_name": "GenerateDataKey",
        "request_parameters": {"KeyId": KEY, "NumberOfBytes": "32"},
        "error_code": "Rejected.Unavailable",
        "error_message": "The key material is unavailable.",
        "response_elements": None,
    },
    "cms rejected disabled": {
        "service_name": "Cms",
        "event_name": "PutEventRule",
        "event_source": "metrics.cn-hangzhou.aliyuncs.com",
        "resource_type": "ACS::CMS::EventRule",
        "resource_name": "rule-1",
        "request_parameters": {"RuleName": "rule-1"},
        "error_code": "Rejected.Disabled",
        "error_message": "The rule is disabled.",
        "response_elements": None,
        "api_version": "2019-01-01",
    },
    "get secret": secret("SecretName"),
    "get prod secret": secret("prod/SecretName", user_name="bob"),
    "get other secret": secret("OtherSecret"),
    "get secret backup": secret("SecretNameBackup"),
    "put secret value": secret("SecretName", event_name="PutSecretValue", event_rw="Write", instance_id=""),
    "csms get secret": secret(
        "SecretName", service_name="Csms", event_source="csms.cn-north-4.myhuaweicloud.com"
    ),
    "generate data key": {
        "event_name": "GenerateDataKey",
        "instance_id": INSTANCE,
        "request_parameters": {"KeyId": KEY, "NumberOfBytes": "32"},
        "response_elements": {"KeyId": KEY, "KeyVersionId": "kv-1", "Plaintext": "******"},
    },
    "list keys": {
        "event_name": "ListKeys",
        "resource_type": "ACS::KMS::Key",
        "resource_name": "",
        "request_parameters": {"PageSize": "20", "PageNumber": 1},
        "response_elements": {"TotalCount": 12, "PageNumber": 1, "Ratio": 0.5, "Truncated": True},
    },
    "scheduled deletion (service event)": {
        "event_name": "DeleteKeyMaterial",
        "event_rw": "Write",
        "event_type": "ServiceEvent",
        "identity_type": "service",
        "principal_id": "kms",
        "user_name": "",
        "access_key_id": "",
        "source_ip": "",
        "user_agent": "",
        "resource_name": OTHER_KEY,
        "request_parameters": {"KeyId": OTHER_KEY},
        "response_elements": None,
    },
    "lookup events": {
        "service_name": "Actiontrail",
        "event_name": "LookupEvents",
        "event_source": "actiontrail.cn-hangzhou.aliyuncs.com",
        "resource_type": "",
        "resource_name": "",
        "request_parameters": {"LookupAttribute.1.Key": "EventName", "Query": "100% of_it"},
        "response_elements": None,
        "api_version": "2020-07-06",
    },
    "chinese description": {
        "event_name": "CreateKey",
        "event_rw": "Write",
        "request_parameters": {
            "Description": "生产环境 主密钥",
            "Tags": [{"TagKey": "env", "TagValue": "prod"}],
        },
        "response_elements": {"KeyMetadata": {"KeyId": KEY, "Description": "生产环境 主密钥"}},
    },
    "instance encrypt": {"instance_id": INSTANCE, "user_name": "carol"},
    "other account encrypt": {"account_id": OTHER_ACCOUNT, "instance_id": OTHER_INSTANCE},
}


def seed_records() -> dict[str, AuditRecord]:
    """The seeds, one minute apart in the order above, ids that say which seed each is."""
    found = {}
    for i, (name, fields) in enumerate(SEEDS.items()):
        slug = name.replace(" ", "-").replace("(", "").replace(")", "")
        found[name] = replace(
            BASE,
            event_id=f"ev-{i:02d}-{slug}",
            request_id=f"req-{i:02d}",
            event_time_ms=T0 + i * MINUTE,
            **fields,
        )
    return found


WINDOW = (T0 - MINUTE, T0 + len(SEEDS) * MINUTE)


@dataclass
class Seeded:
    db: Database
    records: dict[str, AuditRecord]

    def names(self, records: Iterable[AuditRecord]) -> list[str]:
        by_id = {r.event_id: name for name, r in self.records.items()}
        return [by_id[r.event_id] for r in records]

    def search(
        self, text: str, *, instance_id: str | None = None, window: tuple[int, int] = WINDOW
    ) -> set[str]:
        query = compile_query(text, self.db.dialect)
        with self.db.transaction(write=False) as tx:
            page = store.search(tx, ACCOUNT, query, *window, limit=1000, instance_id=instance_id)
        return set(self.names(page.records))


def open_seeded(db: Database) -> Seeded:
    """``db`` migrated and holding the seeds."""
    migrate(db)
    records = seed_records()
    with db.transaction() as tx:
        store.insert_records(tx, list(records.values()))
    return Seeded(db, records)
