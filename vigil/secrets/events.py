"""The system events of the secret domain, raised in the transaction of the change that causes them.

Names and content fields are those of the catalog (``vigil/events/catalog/kms.py``); this module
only fills them from a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.clock import iso
from vigil.secrets.model import Secret, SecretVersion

if TYPE_CHECKING:
    from vigil.events.service import EventCenter

SCHEDULED_DELETION = "Secret:DeleteSecret:ScheduleDeletion"
ACTUAL_DELETION = "Secret:DeleteSecret:ActualDeletion"
ROTATION_SUCCESS = "Secret:RotateSecret:Success"
ROTATION_FAILURE = "Secret:RotateSecret:Failure"
VERSION_CREATED = "Secret:SecretVersion:Created"
VERSION_EXPIRED = "Secret:SecretVersion:Expired"
NOTIFY_SUCCESS = "KMS:NotifyReferenceCloudProduct:Success"
NOTIFY_FAILED = "KMS:NotifyReferenceCloudProduct:Failed"


class SecretEvents:
    def __init__(self) -> None:
        self.center: EventCenter | None = None

    def _raise(self, secret: Secret, name: str, content: dict[str, Any], status: str | None = None) -> None:
        if self.center is None:
            return
        arn = self.center.arn(secret.account_id, "secret", secret.name)
        self.center.raise_event(
            secret.account_id,
            name,
            resource_id=arn,
            instance_name=secret.name,
            content=content,
            status=status,
        )

    def _arn(self, secret: Secret) -> str:
        return "" if self.center is None else self.center.arn(secret.account_id, "secret", secret.name)

    def scheduled_deletion(self, secret: Secret) -> None:
        self._raise(
            secret,
            SCHEDULED_DELETION,
            {
                "secretName": secret.name,
                "deleteEntityArn": self._arn(secret),
                "plannedDeleteTime": iso(secret.planned_delete_at),
            },
        )

    def deleted(self, secret: Secret, now: int) -> None:
        self._raise(
            secret,
            ACTUAL_DELETION,
            {"secretName": secret.name, "deleteEntityArn": self._arn(secret), "deleteTime": iso(now)},
        )

    def _rotation(self, secret: Secret) -> dict[str, Any]:
        return {
            "secretName": secret.name,
            "secretType": secret.secret_type.value,
            "rotationEntityArn": self._arn(secret),
            "rotationStatus": "Enabled" if secret.automatic_rotation else "Disabled",
            "secretSubType": str(secret.extended_config.get("SecretSubType", "")),
        }

    def rotated(self, secret: Secret, version_id: str, now: int) -> None:
        self._raise(
            secret,
            ROTATION_SUCCESS,
            {**self._rotation(secret), "versionId": version_id, "successTime": iso(now), "message": ""},
        )

    def rotation_failed(self, secret: Secret, code: str, message: str, now: int) -> None:
        content = {
            **self._rotation(secret),
            "failureInfo": {"errorCode": code, "errorMessage": message},
            "failureTime": iso(now),
        }
        self._raise(secret, ROTATION_FAILURE, content, status="Failed")

    def version_created(self, secret: Secret, version: SecretVersion) -> None:
        self._raise(
            secret,
            VERSION_CREATED,
            {
                "secretName": secret.name,
                "secretType": secret.secret_type.value,
                "versionId": version.version_id,
                "versionStages": list(version.stages),
                "createTime": iso(version.created_at),
            },
        )

    def version_expired(self, secret: Secret, version_id: str, expire_at: int | None) -> None:
        self._raise(
            secret,
            VERSION_EXPIRED,
            {
                "secretName": secret.name,
                "secretType": secret.secret_type.value,
                "versionId": version_id,
                "expireTime": iso(expire_at),
            },
        )

    def consumer_notified(
        self, secret: Secret, consumer: str, current: str, previous: str, ok: bool, error: str, now: int
    ) -> None:
        if self.center is None:
            return
        content = {
            "EventId": f"{secret.account_id}:{secret.name}:{now // 1000}",
            "EventTime": iso(now),
            "EventName": "SecretCurrentVersionUpdate",
            "KmsResourceRegionId": self._arn(secret).split(":")[2],
            "KmsResourceUser": secret.account_id,
            "KmsResourceType": "Secret",
            "KmsResourceId": secret.name,
            "Content": {
                "SecretName": secret.name,
                "UserId": secret.account_id,
                "CurrentVersionId": current,
                "PreviousVersionId": previous,
            },
            "TargetCloudProduct": consumer,
        }
        if not ok:
            content["ErrorMessage"] = error
        self._raise(secret, NOTIFY_SUCCESS if ok else NOTIFY_FAILED, content)
