"""A realistic mix of system events for the event-store benchmark: every KMS catalog event across
about a thousand keys and secrets, and the Kafka events of about twenty instances.

Levels, types and statuses come from the catalog (EventCenter fills them in); the content carries
the fields the raising code in vigil/keys and vigil/secrets writes, with random values and the
resource's name. Kafka events are payloads as a publisher sends them to PutSystemEvents, valid
against the catalog's content schemas (seed 003's stray-whitespace level included now and then).
Randomness comes from the ``random.Random`` passed in, so a seed repeats the same mix.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from vigil.clock import DAY_MS, iso
from vigil.events.catalog import CATALOG
from vigil.events.catalog.kafka import GRADE_TYPES, REPORT_TYPES, THREAT_TYPES

KEYS = 600
SECRETS = 400
KMS_INSTANCES = 2
ACCESS_POINTS = 10
KAFKA_INSTANCES = 20

WEIGHTS: dict[str, int] = {
    # per mille; secrets churn most, deletions and failures less, quota crossings rarely
    "Secret:SecretVersion:Created": 180,
    "Secret:RotateSecret:Success": 150,
    "KMS:NotifyReferenceCloudProduct:Success": 100,
    "Secret:SecretVersion:Expired": 90,
    "Key:DeleteKey:ScheduleDeletion": 60,
    "Key:DeleteKey:ActualDeletion": 50,
    "Secret:DeleteSecret:ScheduleDeletion": 40,
    "Secret:DeleteSecret:ActualDeletion": 30,
    "Secret:RotateSecret:Failure": 30,
    "KMS:NotifyReferenceCloudProduct:Failed": 10,
    **{f"Instance:Quota:{q}:{p}%": 2 for q in ("Key", "Secret", "AccessManagement") for p in (70, 90)},
    # declared, raised by features still to come (QPS, log volume, key sync, ClientKey expiry)
    "Instance:QPS:Reminder": 4,
    "Instance:QPS:Reminder:70%": 4,
    "Instance:KeySync:Success": 4,
    "Instance:KeySync:Failure": 4,
    "Instance:ClientKey:ExpireReminder": 4,
    "Instance:Quota:Log:70%": 4,
    "Instance:Quota:Log:90%": 4,
    # Kafka, published through the system-event ingest
    "Instance:Risk": 120,
    "Instance:State:Change": 40,
    "Instance:Mutation": 25,
    "Instance:Upgrade:Config": 20,
    "Instance:Upgrade:Version": 10,
    "Instance:Upgrade:Version:Notify": 5,
}

_SECRET_TYPES = ("Generic", "Rds", "RAMCredentials", "ECS", "Redis", "PolarDB")
_ERRORS = (
    ("Rotation.ConnectionFailed", "cannot connect to the database"),
    ("Rotation.AccessDenied", "the rotation account lacks the privilege to alter users"),
    ("Rotation.Timeout", "the rotation webhook did not answer within 30 s"),
)
_CONSUMERS = ("MSE", "orders-webhook", "billing-webhook", "gateway")
_STATES = ("Running", "Stopped", "Upgrading", "Deploying", "Expired")
_SPECS = ("alikafka.hw.2xlarge", "alikafka.hw.3xlarge", "alikafka.hw.6xlarge")


@dataclass(frozen=True, slots=True)
class KmsRaise:
    """The arguments of one EventCenter.raise_event call, as the raising domain code would pass them."""

    name: str
    resource_id: str
    instance_name: str
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Batch:
    """One transaction's events: KMS raises first, then the Kafka payloads for EventCenter.ingest."""

    kms: list[KmsRaise]
    kafka: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.kms) + len(self.kafka)


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


class EventMix:
    """Draws batches of events for one account; ``arn(kind, name)`` makes a KMS resource ARN."""

    def __init__(self, rng: random.Random, account_id: str, region: str, arn: Callable[[str, str], str]):
        unknown = set(WEIGHTS) - set(CATALOG)
        if unknown:
            raise ValueError(f"the benchmark's mix names events the catalog lacks: {sorted(unknown)}")
        self._rng = rng
        self._account_id = account_id
        self._region = region
        self._arn = arn
        self.keys = [f"key-hzz{_token(rng, 17)}" for _ in range(KEYS)]
        apps = ("orders", "billing", "search", "gateway", "ledger", "auth", "reports", "mail")
        kinds = ("mysql", "redis", "ram", "api-token", "oauth")
        self.secrets = [
            f"{rng.choice(('prod', 'staging'))}/{rng.choice(apps)}/{rng.choice(kinds)}-{_token(rng, 6)}"
            for _ in range(SECRETS)
        ]
        self.instances = [f"kst-hzz{_token(rng, 17)}" for _ in range(KMS_INSTANCES)]
        self.access_points = [f"aap-{_token(rng, 12)}" for _ in range(ACCESS_POINTS)]
        self.kafka = [f"alikafka_post-cn-{_token(rng, 12)}" for _ in range(KAFKA_INSTANCES)]
        self._names = list(WEIGHTS)
        self._cumulative = list(accumulate(WEIGHTS.values()))

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def resources(self) -> list[str]:
        """Every resource name that appears in events: keys, secrets, KMS and Kafka instances."""
        return [*self.keys, *self.secrets, *self.instances, *self.kafka]

    def levels(self) -> dict[str, list[str]]:
        """The levels each product's events carry in this mix (from the catalog)."""
        found: dict[str, set[str]] = {}
        for name in self._names:
            spec = CATALOG[name]
            found.setdefault(spec.product, set()).add(spec.level.value)
        return {product: sorted(levels) for product, levels in found.items()}

    def batch(self, times: Sequence[int]) -> Batch:
        """``len(times)`` events; the i-th raised (KMS first, then Kafka) happens at ``times[i]``."""
        names = self._rng.choices(self._names, cum_weights=self._cumulative, k=len(times))
        ordered = [n for n in names if CATALOG[n].product == "KMS"]
        kms_count = len(ordered)
        ordered += [n for n in names if CATALOG[n].product != "KMS"]
        kms = [self._kms(name, t) for name, t in zip(ordered[:kms_count], times, strict=False)]
        kafka = [self._kafka(name, t) for name, t in zip(ordered[kms_count:], times[kms_count:], strict=True)]
        return Batch(kms, kafka)

    # -- KMS -------------------------------------------------------------------------------

    def _kms(self, name: str, time_ms: int) -> KmsRaise:
        kind = CATALOG[name].resource_kind
        if kind == "key":
            resource = self._rng.choice(self.keys)
        elif kind == "secret":
            resource = self._rng.choice(self.secrets)
        elif kind == "instance":
            resource = self._rng.choice(self.instances)
        else:
            resource = self._rng.choice(self.access_points)
        arn = self._arn(kind, resource)
        return KmsRaise(name, arn, resource, self._kms_content(name, resource, arn, time_ms))

    def _kms_content(self, name: str, resource: str, arn: str, t: int) -> dict[str, Any]:
        rng = self._rng
        group = name.split(":")[1]
        if group == "DeleteKey":
            return {"keyId": resource, "deleteEntityArn": arn, **self._deletion_time(name, t)}
        if group == "DeleteSecret":
            return {"secretName": resource, "deleteEntityArn": arn, **self._deletion_time(name, t)}
        if group == "RotateSecret":
            return self._rotation(name, resource, arn, t)
        if group == "SecretVersion":
            common = {
                "secretName": resource,
                "secretType": rng.choice(_SECRET_TYPES),
                "versionId": self._version(),
            }
            if name.endswith("Created"):
                return {**common, "versionStages": ["ACSCurrent"], "createTime": iso(t)}
            return {**common, "expireTime": iso(t)}
        if group == "NotifyReferenceCloudProduct":
            return self._notify(name, resource, arn, t)
        return self._instance_content(name, resource, t)

    def _deletion_time(self, name: str, t: int) -> dict[str, str]:
        if name.endswith("ScheduleDeletion"):
            return {"plannedDeleteTime": iso(t + self._rng.randint(7, 30) * DAY_MS)}
        return {"deleteTime": iso(t)}

    def _rotation(self, name: str, secret: str, arn: str, t: int) -> dict[str, Any]:
        rng = self._rng
        content: dict[str, Any] = {
            "secretName": secret,
            "secretType": rng.choice(_SECRET_TYPES),
            "rotationEntityArn": arn,
            "rotationStatus": "Enabled",
            "secretSubType": rng.choice(("", "SingleUser", "DoubleUsers")),
        }
        if name.endswith("Success"):
            return {**content, "versionId": self._version(), "successTime": iso(t), "message": ""}
        code, message = rng.choice(_ERRORS)
        return {**content, "failureInfo": {"errorCode": code, "errorMessage": message}, "failureTime": iso(t)}

    def _notify(self, name: str, secret: str, arn: str, t: int) -> dict[str, Any]:
        content: dict[str, Any] = {
            "EventTime": iso(t),
            "EventName": "SecretCurrentVersionUpdate",
            "KmsResourceRegionId": self._region,
            "KmsResourceUser": self._account_id,
            "KmsResourceType": "Secret",
            "KmsResourceId": secret,
            "Content": {
                "SecretName": secret,
                "UserId": self._account_id,
                "CurrentVersionId": self._version(),
                "PreviousVersionId": self._version(),
            },
            "TargetCloudProduct": self._rng.choice(_CONSUMERS),
        }
        if name.endswith("Failed"):
            content["ErrorMessage"] = "the consumer answered HTTP 503 after 5 attempts"
        return content

    def _instance_content(self, name: str, resource: str, t: int) -> dict[str, Any]:
        rng = self._rng
        if name.startswith("Instance:Quota:"):
            pct = int(name.rsplit(":", 1)[1].rstrip("%"))
            return {"quota": "1000", "kmsInstanceId": resource, "used": str(pct * 10 + rng.randint(0, 9))}
        if name.startswith("Instance:QPS:"):
            return {
                "qps": str(rng.randint(7000, 10000)),
                "kmsInstanceId": resource,
                "time": iso(t),
                "qpsQuota": "10000",
            }
        if name.startswith("Instance:KeySync:"):
            key = rng.choice(self.keys)
            return {
                "syncTaskId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "masterInstanceId": self.instances[0],
                "shadowInstanceId": self.instances[-1],
                "syncStatus": "Success" if name.endswith("Success") else "Failed",
                "errorCode": "" if name.endswith("Success") else "Sync.KeyVersionMismatch",
                "resourceId": key,
                "resourceType": "KEY",
                "eventTime": iso(t),
            }
        days = rng.choice((180, 90, 30, 7))  # Instance:ClientKey:ExpireReminder
        return {
            "clientKeyName": f"client-{_token(rng, 6)}",
            "dateOfExpiration": iso(t + days * DAY_MS),
            "daysToExpire": str(days),
            "affectedKmsInstanceId": rng.choice(self.instances),
        }

    def _version(self) -> str:
        return f"v{self._rng.getrandbits(48):012x}"

    # -- Kafka -----------------------------------------------------------------------------

    def _kafka(self, name: str, t: int) -> dict[str, Any]:
        rng = self._rng
        instance = rng.choice(self.kafka)
        spec = CATALOG[name]
        level = spec.level.value
        if rng.random() < 0.02:
            level = " " + level  # seed 003's stray whitespace, which the ingest trims
        return {
            "name": name,
            "product": "kafka",
            "level": level,
            "status": spec.status,
            "resourceId": f"acs:alikafka:{self._region}:{self._account_id}:instance/{instance}",
            "instanceName": instance,
            "groupId": "0",
            "content": self._kafka_content(name, instance, t),
        }

    def _kafka_content(self, name: str, instance: str, t: int) -> dict[str, Any]:
        rng = self._rng
        if name == "Instance:Upgrade:Version:Notify":
            return {"version": rng.choice(("v2", "v3"))}
        frame = {"instanceId": instance, "instanceName": instance, "uploadTime": t + rng.randint(0, 999)}
        if name == "Instance:Risk":
            risks = [self._risk() for _ in range(rng.randint(1, 3))]
            return {"eventType": "Exception", **frame, "riskData": risks}
        if name == "Instance:State:Change":
            return {"data": rng.choice(_STATES), "eventType": "StatusNotification", **frame}
        if name == "Instance:Mutation":
            old, new = rng.sample(_SPECS, 2)
            changes = {"newPropertyValues": {"ioMaxSpec": new}, "oldPropertyValues": {"ioMaxSpec": old}}
        elif name == "Instance:Upgrade:Config":
            minutes = rng.randint(1440, 20160)
            changes = {
                "newPropertyValues": {"offsets.retention.minutes": str(minutes)},
                "oldPropertyValues": {"offsets.retention.minutes": str(minutes + 1)},
            }
        else:  # Instance:Upgrade:Version
            changes = {
                "newPropertyValues": {"serviceMiniVersion": "5.1.1.1", "openSourceVersion": "2.2.0"},
                "oldPropertyValues": {"serviceMiniVersion": "5.0.3", "openSourceVersion": "2.2.0"},
            }
        return {"data": changes, "eventType": "Notification", **frame}

    def _risk(self) -> dict[str, Any]:
        rng = self._rng
        threat = rng.choice(THREAT_TYPES)
        return {
            "accessLevel": rng.randint(1, 9),
            "gradeType": rng.choice(GRADE_TYPES),
            "health": rng.random() < 0.3,
            "levelType": rng.randint(0, 2),
            "name": threat,
            "originLevelType": rng.randint(0, 2),
            "relationList": [],
            "reportTips": f"Check {threat} on the instance and follow the recommended fix.",
            "reportType": rng.choice(REPORT_TYPES),
            "reportValue": "",
            "value": f"{rng.uniform(0, 500):.1f}",
        }
