"""The KMS system events: the 19 of seed 000's table, the two secret-consumer notify events, and
the full log store (Instance:Quota:Log:100%), which Vigil adds.

The catalog names the product "KMS" (as DescribeSystemEventMetaList answers; the CMS Product filter
is case-insensitive) and payloads carry "kms" (as every seed example does). Levels follow the
seed's table; examples are the seed's, corrected as docs/events.md ("Choices") lists.
"""

from __future__ import annotations

from typing import Any

from vigil.events.catalog.spec import EventSpec, EventType, Level

PRODUCT = "KMS"

NORMAL = "normal"
"""The status of KMS's own events (deletions, rotation success, QPS, quotas, notify)."""
NORMAL_UPPER = "Normal"
"""The status the key sync and ClientKey examples carry, all three alike."""
FAILED = "Failed"
"""The status of a failed rotation."""

STATUS_NOTIFICATION = EventType.STATUS_NOTIFICATION
EXCEPTION = EventType.EXCEPTION
NOTIFICATION = EventType.NOTIFICATION

_DELETE_KEY = ("keyId", "deleteEntityArn")
_DELETE_SECRET = ("secretName", "deleteEntityArn")
_ROTATION = ("secretName", "secretType", "rotationEntityArn", "rotationStatus", "secretSubType")
_QPS = ("qps", "kmsInstanceId", "time", "qpsQuota")
_KEY_SYNC = (
    "syncTaskId",
    "masterInstanceId",
    "shadowInstanceId",
    "syncStatus",
    "errorCode",
    "resourceId",
    "resourceType",
    "eventTime",
)
_NOTIFY = (
    "EventTime",
    "EventName",
    "KmsResourceRegionId",
    "KmsResourceUser",
    "KmsResourceType",
    "KmsResourceId",
    "Content",
    "TargetCloudProduct",
)


def arn(region: str, user: str, kind: str, resource: str) -> str:
    """acs:kms:<region>:<uid>:<kind>/<resource>, the resourceId of every KMS event."""
    return f"acs:kms:{region}:{user}:{kind}/{resource}"


def payload(
    name: str,
    level: Level,
    status: str,
    *,
    id: str,
    resource_id: str,
    instance_name: str,
    region: str,
    user: str,
    time: int,
    content: dict[str, Any],
) -> dict[str, Any]:
    """An event in the JSON shape of the seeds (id, product, resourceId … time in ms, content)."""
    return {
        "id": id,
        "product": PRODUCT.lower(),
        "resourceId": resource_id,
        "level": level.value,
        "instanceName": instance_name,
        "regionId": region,
        "name": name,
        "userId": user,
        "groupId": "0",
        "status": status,
        "time": time,
        "content": content,
    }


def event(
    name: str,
    level: Level,
    event_type: EventType,
    status: str,
    title: str,
    trigger: str,
    resource_kind: str,
    content_fields: tuple[str, ...],
    example: dict[str, Any],
    *,
    csms_trigger: str | None = None,
    emitted: bool = True,
    event_id_key: str = "eventId",
) -> EventSpec:
    """A KMS catalog entry; ``example`` holds the payload's varying parts (see payload())."""
    return EventSpec(
        PRODUCT,
        name,
        level,
        event_type,
        status,
        title,
        trigger,
        resource_kind,
        content_fields,
        example=payload(name, level, status, **example),
        csms_trigger=csms_trigger,
        title_zh=title,
        status_desc=status.capitalize(),
        emitted=emitted,
        event_id_key=event_id_key,
    )


def _qps(
    name: str, level: Level, pct: int, *, id: str, user: str, instance: str, when: str, time: int
) -> EventSpec:
    return event(
        name,
        level,
        NOTIFICATION,
        NORMAL,
        f"QPS has reached {pct}%",
        f"The real-time QPS of a KMS instance reaches {pct} % of its QPS quota; beyond the quota "
        "requests are throttled.",
        "instance",
        _QPS,
        {
            "id": id,
            "resource_id": arn("cn-hangzhou", user, "instance", instance),
            "instance_name": instance,
            "region": "cn-hangzhou",
            "user": user,
            "time": time,
            "content": {
                "eventId": f"{user}:{instance}:{time // 1000}",
                "qps": str(pct * 100),
                "kmsInstanceId": instance,
                "time": when,
                "qpsQuota": "10000",
            },
        },
        emitted=False,
    )


def _quota(
    resource: str,
    pct: int,
    title: str,
    noun: str,
    refused: str,
    *,
    id: str,
    event_id: str,
    instance: str,
    time: int,
) -> EventSpec:
    """Instance:Quota:<resource>:<pct>% — INFO at 70 %, WARN at 90 %, as the seed's table says."""
    user = "1192******18460"
    return event(
        f"Instance:Quota:{resource}:{pct}%",
        Level.INFO if pct == 70 else Level.WARN,
        NOTIFICATION,
        NORMAL,
        title,
        f"The {noun} of a KMS instance reaches {pct} % of its quota (once per crossing, re-armed when "
        f"usage falls back below); past 100 % {refused}.",
        "instance",
        ("quota", "kmsInstanceId", "used"),
        {
            "id": id,
            "resource_id": arn("cn-hangzhou", user, "instance", instance),
            "instance_name": instance,
            "region": "cn-hangzhou",
            "user": user,
            "time": time,
            "content": {
                "eventId": event_id,
                "quota": "1000",
                "kmsInstanceId": instance,
                "used": str(pct * 10),
            },
        },
    )


def _log_full() -> EventSpec:
    """Instance:Quota:Log:100% — Vigil's own: the seed has no event for a full log store, and what
    happens then is a deployment's choice (VIGIL_AUDIT_LOG_FULL), which ``action`` names."""
    user, instance = "1192******18460", "kst***pn8"
    return event(
        "Instance:Quota:Log:100%",
        Level.CRITICAL,
        NOTIFICATION,
        NORMAL,
        "Log analysis log volume has reached 100%",
        "The log analysis log volume (GB) of a KMS instance reaches its quota (once per crossing, "
        "re-armed when retention brings it back below): with action stop-logging its data-plane "
        "records go to the account's trail instead of its log store, with reject-requests "
        "data-plane calls on its keys and secrets are refused (Rejected.LogStoreFull).",
        "instance",
        ("quota", "kmsInstanceId", "used", "action"),
        {
            "id": "5d0c7a9e-3b61-4f0e-8c2a-********9d31",
            "resource_id": arn("cn-hangzhou", user, "instance", instance),
            "instance_name": instance,
            "region": "cn-hangzhou",
            "user": user,
            "time": 1765526370000,
            "content": {
                "eventId": "119***d:8",
                "quota": "1000",
                "kmsInstanceId": instance,
                "used": "1000",
                "action": "stop-logging",
            },
        },
    )


def _key_sync(
    outcome: str, level: Level, event_type: EventType, title: str, *, id: str, status: str
) -> EventSpec:
    user, key = "119285********60", "key-ph********04d"
    return event(
        f"Instance:KeySync:{outcome}",
        level,
        event_type,
        NORMAL_UPPER,
        title,
        f"A key of a KMS instance {'syncs' if outcome == 'Success' else 'fails to sync'} from the primary "
        "instance to its replica in another region (cross-region synchronization).",
        "key",
        _KEY_SYNC,
        {
            "id": id,
            "resource_id": arn("cn-hangzhou", user, "key", key),
            "instance_name": key,
            "region": "cn-hangzhou",
            "user": user,
            "time": 1711093277000,
            "content": {
                "eventId": "119285******60:8071aa27-******87",
                "syncTaskId": "8071aa27-********0fc87",
                "masterInstanceId": "kst-ph********z6",
                "shadowInstanceId": "kst-ps********qq",
                "syncStatus": status,
                "errorCode": "",
                "resourceId": key,
                "resourceType": "KEY",
                "eventTime": "2024-03-22T07:41:17Z",
            },
        },
        emitted=False,
    )


def _notify(
    outcome: str, level: Level, event_type: EventType, title: str, example: dict[str, Any]
) -> EventSpec:
    failed = outcome == "Failed"
    return event(
        f"KMS:NotifyReferenceCloudProduct:{outcome}",
        level,
        event_type,
        NORMAL,
        title,
        "A secret's current version changed (rotation or a new current version) and KMS "
        + ("could not tell" if failed else "told")
        + " the product that references the secret (MSE in the cloud; a registered secret consumer "
        "webhook in Vigil, named in TargetCloudProduct)" + (", after the last retry." if failed else "."),
        "secret",
        (*_NOTIFY, "ErrorMessage") if failed else _NOTIFY,
        example,
        event_id_key="EventId",
    )


def _notice(*, event_id: str, when: str, secret: str, error: str | None) -> dict[str, Any]:
    user = "1192*****118460"
    content: dict[str, Any] = {
        "EventId": event_id,
        "EventTime": when,
        "EventName": "SecretCurrentVersionUpdate",
        "KmsResourceRegionId": "cn-hangzhou",
        "KmsResourceUser": user,
        "KmsResourceType": "Secret",
        "KmsResourceId": secret,
        "Content": {
            "SecretName": secret,
            "UserId": user,
            "CurrentVersionId": "v18",
            "PreviousVersionId": "v17",
        },
        "TargetCloudProduct": "mse",
    }
    if error is not None:
        content["ErrorMessage"] = error
    return {
        "resource_id": arn("cn-hangzhou", user, "secret", secret),
        "instance_name": secret,
        "region": "cn-hangzhou",
        "user": user,
        "content": content,
    }


EVENTS: list[EventSpec] = [
    _qps(
        "Instance:QPS:Reminder",
        Level.CRITICAL,
        90,
        id="5162883e-5502-4266-9e77-********5284",
        user="119285********60",
        instance="kst***pn8",
        when="2025-08-26 05:43:00",
        time=1756186980000,
    ),
    event(
        "Key:DeleteKey:ScheduleDeletion",
        Level.WARN,
        STATUS_NOTIFICATION,
        NORMAL,
        "Key scheduled for deletion",
        "A key is scheduled for deletion (ScheduleKeyDeletion); plannedDeleteTime is the end of its "
        "pending window.",
        "key",
        (*_DELETE_KEY, "plannedDeleteTime"),
        {
            "id": "83d05dd6-1066-4b3f-99be-********19",
            "resource_id": arn("cn-hangzhou", "119285******60", "key", "0d603b4a-******71be"),
            "instance_name": "0d603b4a-********71be",
            "region": "cn-hangzhou",
            "user": "119285******60",
            "time": 1756106122000,
            "content": {
                "eventId": "119285******60:0d603b4a-******71:175*****07",
                "keyId": "0d603b4a-********71be",
                "deleteEntityArn": arn("cn-hangzhou", "119285******60", "key", "0d603b4a-******71be"),
                "plannedDeleteTime": "2025-09-01T07:15:07Z",
            },
        },
    ),
    event(
        "Key:DeleteKey:ActualDeletion",
        Level.WARN,
        STATUS_NOTIFICATION,
        NORMAL,
        "Key deleted",
        "A key's pending window ends and its key material is destroyed.",
        "key",
        (*_DELETE_KEY, "deleteTime"),
        {
            "id": "40d14dbc-5b49-481f-********ce",
            "resource_id": arn("cn-hangzhou", "119285********60", "key", "key-hzz6********pq4"),
            "instance_name": "key-hzz6********pq4",
            "region": "cn-hangzhou",
            "user": "119285********60",
            "time": 1755855632000,
            "content": {
                "eventId": "119285********60:key-hzz6********pq4:1755855590",
                "keyId": "key-hzz6********pq4",
                "deleteEntityArn": arn("cn-hangzhou", "119285********60", "key", "key-hzz6********pq4"),
                "deleteTime": "2025-08-22T09:39:50Z",
            },
        },
    ),
    event(
        "Secret:DeleteSecret:ScheduleDeletion",
        Level.WARN,
        STATUS_NOTIFICATION,
        NORMAL,
        "Secret scheduled for deletion",
        "A secret is scheduled for deletion (DeleteSecret with a recovery window); plannedDeleteTime "
        "is the end of the window.",
        "secret",
        (*_DELETE_SECRET, "plannedDeleteTime"),
        {
            "id": "a065edc8-*******f9ba432",
            "resource_id": arn("cn-hangzhou", "119285********60", "secret", "XrGp****"),
            "instance_name": "XrGp****",
            "region": "cn-hangzhou",
            "user": "119285********60",
            "time": 1756102268000,
            "content": {
                "eventId": "119285********60:XrGp****:175*****45",
                "secretName": "XrGp****",
                "deleteEntityArn": arn("cn-hangzhou", "119285********60", "secret", "XrGp****"),
                "plannedDeleteTime": "2025-09-01T06:10:45Z",
            },
        },
    ),
    event(
        "Secret:DeleteSecret:ActualDeletion",
        Level.WARN,
        STATUS_NOTIFICATION,
        NORMAL,
        "Secret deleted",
        "A secret is deleted for good: its recovery window ends, or DeleteSecret forces deletion "
        "without recovery.",
        "secret",
        (*_DELETE_SECRET, "deleteTime"),
        {
            "id": "9fceac80-69ab-471f-8783-********346c",
            "resource_id": arn("cn-hangzhou", "119285********60", "secret", "XrGp****"),
            "instance_name": "XrGp****",
            "region": "cn-hangzhou",
            "user": "119285********60",
            "time": 1756707068000,
            "content": {
                "eventId": "119285********60:XrGp****:1756707045",
                "secretName": "XrGp****",
                "deleteEntityArn": arn("cn-hangzhou", "119285********60", "secret", "XrGp****"),
                "deleteTime": "2025-09-01T06:10:45Z",
            },
        },
        csms_trigger="SECRET_DELETED",
    ),
    event(
        "Secret:RotateSecret:Failure",
        Level.CRITICAL,
        EXCEPTION,
        FAILED,
        "Managed secret rotation failed",
        "A rotation of a managed secret (RotateSecret or automatic) fails; the current version is "
        "kept and failureInfo says why.",
        "secret",
        (*_ROTATION, "failureInfo", "failureTime"),
        {
            "id": "ac54ac2b-********01aba",
            "resource_id": arn("cn-chengdu", "119285********60", "secret", "acs/ecs/secret_rotator"),
            "instance_name": "acs/ecs/secret_rotator",
            "region": "cn-chengdu",
            "user": "119285********60",
            "time": 1755854045000,
            "content": {
                "eventId": "119285********60:acs/ecs/secret_rotator:1755853996",
                "secretName": "acs/ecs/secret_rotator",
                "secretType": "ECS",
                "rotationEntityArn": arn(
                    "cn-chengdu", "119285********60", "secret", "acs/ecs/secret_rotator"
                ),
                "rotationStatus": "Enabled",
                "secretSubType": "ECSLoginPassword",
                "failureInfo": {
                    "errorCode": "RotateError",
                    "errorMessage": "output , err stdout:[Module:DescribeECSInstances failed] ",
                },
                "failureTime": "2025-08-22T09:13:16Z",
            },
        },
        csms_trigger="SECRET_ROTATED_FAILED",
    ),
    event(
        "Secret:RotateSecret:Success",
        Level.INFO,
        STATUS_NOTIFICATION,
        NORMAL,
        "Managed secret rotation succeeded",
        "A rotation of a managed secret (RotateSecret or automatic) succeeds and the new version "
        "becomes current.",
        "secret",
        (*_ROTATION, "versionId", "successTime", "message"),
        {
            "id": "21c9b9e0-********f3e678",
            "resource_id": arn("cn-shanghai", "119285********60", "secret", "acs/ram/user/secrettest"),
            "instance_name": "acs/ram/user/secrettest",
            "region": "cn-shanghai",
            "user": "119285********60",
            "time": 1755855610000,
            "content": {
                "eventId": "119285******60:acs/ram/user/secrettest:17****59",
                "secretName": "acs/ram/user/secrettest",
                "secretType": "RAMCredentials",
                "rotationEntityArn": arn(
                    "cn-shanghai", "119285********60", "secret", "acs/ram/user/secrettest"
                ),
                "rotationStatus": "Enabled",
                "secretSubType": "RamUserAccessKey",
                "versionId": "v2",
                "successTime": "2025-08-20T09:37:19Z",
                "message": "",
            },
        },
        csms_trigger="SECRET_ROTATED",
    ),
    _key_sync(
        "Failure",
        Level.CRITICAL,
        EXCEPTION,
        "Key sync failed",
        id="79212aa0-aa3d-439d-bd25-********7d89",
        status="SyncFailure",
    ),
    _key_sync(
        "Success",
        Level.INFO,
        STATUS_NOTIFICATION,
        "Key sync succeeded",
        id="27b1e3e1-61e2-468c-8610-********a43e",
        status="SyncSuccess",
    ),
    event(
        "Instance:ClientKey:ExpireReminder",
        Level.CRITICAL,
        NOTIFICATION,
        NORMAL_UPPER,
        "ClientKey expiration reminder",
        "A ClientKey of an application access point is 180, 90, 30 or 7 days from expiry "
        "(one reminder at each mark).",
        "applicationaccesspoint",
        ("clientKeyName", "dateOfExpiration", "daysToExpire", "affectedKmsInstanceId"),
        {
            "id": "1318a91d-0918-4b81-bdbd-********c613",
            "resource_id": arn("cn-hangzhou", "119285********60", "applicationaccesspoint", "kms-client"),
            "instance_name": "kms-client",
            "region": "cn-hangzhou",
            "user": "119285********60",
            "time": 1712168626000,
            "content": {
                "eventId": "119285********60:kms-client:1712168626",
                "clientKeyName": "kms-client",
                "dateOfExpiration": "2024-09-30T18:23:46Z",
                "daysToExpire": "180",
                "affectedKmsInstanceId": "kst-hzz********bxt",
            },
        },
        emitted=False,
    ),
    _qps(
        "Instance:QPS:Reminder:70%",
        Level.INFO,
        70,
        id="2be9ea0e-f80f-4a65-a566-********a14a",
        user="1192******18460",
        instance="kst***e4x",
        when="2025-12-12 07:49:00",
        time=1765525740000,
    ),
    _quota(
        "AccessManagement",
        70,
        "Access management usage has reached 70%",
        "access management usage",
        "no new access management policy can be created",
        id="370deab3-7956-401c-bbae-********41fb",
        event_id="119***d:2",
        instance="kst***em7",
        time=1765526040000,
    ),
    _quota(
        "AccessManagement",
        90,
        "Access management usage has reached 90%",
        "access management usage",
        "no new access management policy can be created",
        id="85e6a31c-9a91-4f2f-9f4c-********b874",
        event_id="119***d:1",
        instance="kst***rz5",
        time=1765526100000,
    ),
    _quota(
        "Key",
        70,
        "Key usage has reached 70%",
        "key usage",
        "no new key can be created",
        id="3844bad7-156a-4b7c-aa9a-********a829",
        event_id="119***774",
        instance="kst***urs",
        time=1765526160000,
    ),
    _quota(
        "Key",
        90,
        "Key usage has reached 90%",
        "key usage",
        "no new key can be created",
        id="ed0703f2-79b2-4672-96d0-********75e2",
        event_id="119***d:3",
        instance="kst***urs",
        time=1765526220000,
    ),
    _quota(
        "Log",
        70,
        "Log analysis log volume has reached 70%",
        "log analysis log volume (GB)",
        "new logs cannot be written",
        id="a46d2d18-4a91-497b-8bb8-********e5ed",
        event_id="119***d:4",
        instance="kst***pn8",
        time=1765526280000,
    ),
    _quota(
        "Log",
        90,
        "Log analysis log volume has reached 90%",
        "log analysis log volume (GB)",
        "new logs cannot be written",
        id="b4ee9a8b-08ac-4d77-99f0-********e69f",
        event_id="119***d:5",
        instance="kst***pn8",
        time=1765526340000,
    ),
    _log_full(),
    _quota(
        "Secret",
        70,
        "Secret usage has reached 70%",
        "secret usage",
        "no new secret can be created",
        id="60b937f1-72b1-4c05-9aa1-********3e10",
        event_id="119***d:6",
        instance="kst***pn8",
        time=1765526400000,
    ),
    _quota(
        "Secret",
        90,
        "Secret usage has reached 90%",
        "secret usage",
        "no new secret can be created",
        id="cc04d148-6e79-4fcd-973a-********4e72",
        event_id="119***d:7",
        instance="kst***pn8",
        time=1765526460000,
    ),
    _notify(
        "Success",
        Level.INFO,
        STATUS_NOTIFICATION,
        "KMS resource update notification",
        {
            "id": "40ca3259-7274-4420-b6ac-********1b0c",
            "time": 1774588285000,
            **_notice(event_id="177***276", when="2026-03-27T05:11:25Z", secret="s0***", error=None),
        },
    ),
    _notify(
        "Failed",
        Level.CRITICAL,
        EXCEPTION,
        "KMS resource update notification failure",
        {
            "id": "bd55a885-fac9-4e05-b6d0-********0391",
            "time": 1747656917000,
            **_notice(
                event_id="1192*****118460_Secret_test-mse-1_v17_v18",
                when="2025-05-19T12:15:17Z",
                secret="test-mse-1",
                error="POST to the consumer's webhook failed: HTTP 503",
            ),
        },
    ),
]
