"""Drives one rotation: lock, rotate, promote or discard, record. Also the automatic-rotation job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from vigil.audit.model import ServiceEvents
from vigil.errors import VigilError
from vigil.iam.service import IamService
from vigil.keys.crypto import Random
from vigil.scheduler import Job, Scheduler
from vigil.secrets.model import RotationUnsupported, Secret, SecretType
from vigil.secrets.rotation.base import RotationContext, RotationFailed, Rotator
from vigil.secrets.service import SecretService
from vigil.webhooks import WebhookSender

log = logging.getLogger("vigil.rotation")


@dataclass(frozen=True, slots=True)
class RotationResult:
    rotation_id: str
    version_id: str
    secret: Secret


class Rotations:
    def __init__(
        self,
        secrets: SecretService,
        iam: IamService,
        webhooks: WebhookSender,
        rng: Random,
        rotators: dict[str, Rotator],
    ) -> None:
        self._secrets = secrets
        self._iam = iam
        self._webhooks = webhooks
        self._rng = rng
        self._rotators = rotators
        self.audit: ServiceEvents | None = None

    def rotator_for(self, secret_type: SecretType, config: dict[str, Any]) -> Rotator | None:
        """Rds → database, RAMCredentials → access keys, Generic with RotationWebhook → webhook."""
        if secret_type is SecretType.RDS:
            return self._rotators.get("database")
        if secret_type is SecretType.RAM_CREDENTIALS:
            return self._rotators.get("ram")
        if "RotationWebhook" in config:
            return self._rotators.get("webhook")
        return None

    def check_config(self, secret_type: SecretType, config: dict[str, Any], data: bytes) -> None:
        rotator = self.rotator_for(secret_type, config)
        if rotator is not None:
            rotator.check_config(config, data)

    def rotate_secret(
        self, account_id: str, name: str, trigger: str = "Manual", version_id: str | None = None
    ) -> RotationResult:
        """Rotate now. Raises RotationUnsupported, RotationInProgress, or RotationFailed (after recording it)."""
        secret = self._secrets.describe_secret(account_id, name)
        rotator = self.rotator_for(secret.secret_type, secret.extended_config)
        if rotator is None:
            raise RotationUnsupported(
                f"secret {name!r} cannot be rotated: it is Generic without ExtendedConfig.RotationWebhook"
            )
        ticket = self._secrets.begin_rotation(account_id, name, trigger, version_id)
        ctx = RotationContext(ticket, self._secrets, self._iam, self._webhooks, self._rng, trigger)
        try:
            rotator.rotate(ctx)
            if ctx.staged is None:
                raise RotationFailed(f"the {type(rotator).__name__} staged no new version")
        except RotationFailed as exc:
            message = ctx.scrub(exc.message)
            self._secrets.fail_rotation(ticket, exc.code, message)
            raise RotationFailed(message, code=exc.code) from None
        except VigilError as exc:
            self._secrets.fail_rotation(ticket, exc.code, ctx.scrub(exc.message))
            raise
        except Exception as exc:
            log.exception("rotation of %s crashed", name)
            self._secrets.fail_rotation(ticket, "InternalFailure", f"rotation crashed: {type(exc).__name__}")
            raise
        promoted = self._secrets.finish_rotation(ticket)
        try:
            rotator.after_promotion(ctx)
        except VigilError as exc:
            log.warning("clean-up after rotating %s failed: %s", name, ctx.scrub(exc.message))
        return RotationResult(ticket.rotation_id, ticket.pending_version_id, promoted)

    def rotate_due_secrets(self) -> int:
        """The automatic-rotation job: each secret whose NextRotationDate has passed."""
        done = 0
        for account_id, name in self._secrets.due_for_rotation():
            try:
                result = self.rotate_secret(account_id, name, "Automatic")
                done += 1
            except VigilError as exc:
                log.warning("automatic rotation of %s failed: %s: %s", name, exc.code, exc.message)
                self._audit(account_id, name, error=exc)
            else:
                self._audit(account_id, name, VersionId=result.version_id)
        return done

    def _audit(self, account_id: str, name: str, error: VigilError | None = None, **details: object) -> None:
        """An automatic rotation's record in the audit trail (a ServiceEvent), failed or not."""
        if self.audit is not None:
            self.audit.record_service_event(
                account_id,
                "Kms",
                "RotateSecret",
                resource_type="ACS::KMS::Secret",
                resource_name=name,
                details={"SecretName": name, "Trigger": "Automatic", **details},
                error_code=error.code if error else "",
                # only a RotationFailed's message has been scrubbed of the credentials it may quote
                error_message=error.message if isinstance(error, RotationFailed) else "",
            )


def register_jobs(scheduler: Scheduler, rotations: Rotations, *, interval_s: float) -> None:
    scheduler.register(Job("secrets.rotate_due_secrets", interval_s, rotations.rotate_due_secrets))
