"""What a rotator is, and how a failure is reported without ever carrying a secret.

A rotator makes the new credential real outside Vigil (a database password, an access key,
a user's webhook), stages it as ACSPending through the context, and raises RotationFailed
with a stable code when anything goes wrong. The runner promotes or discards the version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from vigil.errors import FailedPrecondition
from vigil.iam.service import IamService
from vigil.keys.crypto import Random
from vigil.secrets.model import SecretVersion
from vigil.secrets.service import RotationTicket, SecretService
from vigil.webhooks import WebhookSender


class RotationFailed(FailedPrecondition):
    """A rotation step failed; ``code`` and ``message`` are recorded and must never hold a secret."""

    code = "Rotation.Failed"


@dataclass(slots=True)
class RotationContext:
    ticket: RotationTicket
    secrets: SecretService
    iam: IamService
    webhooks: WebhookSender
    rng: Random
    trigger: str
    staged: SecretVersion | None = None
    sensitive: list[str] = field(default_factory=list)
    """Strings to scrub from any failure message (passwords this rotation handled)."""

    @property
    def account_id(self) -> str:
        return self.ticket.secret.account_id

    @property
    def config(self) -> dict[str, Any]:
        return self.ticket.secret.extended_config

    def current_value(self) -> bytes | None:
        return self.secrets.current_value(self.ticket)

    def previous_value(self) -> bytes | None:
        """ACSPrevious as it was when the rotation began (None if there was none)."""
        return self.secrets.previous_value(self.ticket)

    def stage(self, data: bytes) -> SecretVersion:
        """Store the new value as ACSPending."""
        self.staged = self.secrets.stage_pending(self.ticket, data)
        return self.staged

    def scrub(self, text: str) -> str:
        for value in self.sensitive:
            if value:
                text = text.replace(value, "**********")
        return text


class Rotator(Protocol):
    def check_config(self, config: dict[str, Any], data: bytes) -> None:
        """Validate ExtendedConfig and SecretData at CreateSecret time. Raises InvalidArgument."""
        ...

    def rotate(self, ctx: RotationContext) -> None:
        """Make the new credential real and stage it. Raises RotationFailed."""
        ...

    def after_promotion(self, ctx: RotationContext) -> None:
        """Clean-up once the new version is ACSCurrent (e.g. delete an old access key)."""
        ...
