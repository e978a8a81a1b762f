"""Rotation of a Generic secret through the user's own webhook (ExtendedConfig.RotationWebhook).

Vigil POSTs four signed steps in order: createSecret (the answer may carry the new
SecretData, else Vigil generates a password), setSecret and testSecret (both carry the
pending value so the receiver can apply and test it) and finishSecret. A step that answers
non-2xx, times out or cannot be reached stops the rotation with ``Webhook.StepFailed``.
"""

from __future__ import annotations

from typing import Any

from vigil.errors import InvalidArgument
from vigil.keys.crypto import random_password
from vigil.secrets.rotation.base import RotationContext, RotationFailed
from vigil.webhooks import Delivery

CONFIG_KEY = "RotationWebhook"
PASSWORD_LENGTH = 32

STEP_FAILED = "Webhook.StepFailed"
INVALID_RESPONSE = "Webhook.InvalidResponse"
INVALID_CONFIG = "Webhook.InvalidConfig"

CREATE, SET, TEST, FINISH = "createSecret", "setSecret", "testSecret", "finishSecret"


def webhook_url(config: dict[str, Any]) -> str:
    """Raises InvalidArgument unless RotationWebhook is an http(s) URL."""
    url = config.get(CONFIG_KEY)
    if (
        not isinstance(url, str)
        or not url.startswith(("http://", "https://"))
        or len(url.split("://", 1)[1].split("/", 1)[0]) == 0
        or any(c.isspace() for c in url)
    ):
        raise InvalidArgument(f"ExtendedConfig.{CONFIG_KEY} must be an http:// or https:// URL")
    return url


class WebhookRotator:
    def check_config(self, config: dict[str, Any], data: bytes) -> None:
        webhook_url(config)

    def rotate(self, ctx: RotationContext) -> None:
        try:
            url = webhook_url(ctx.config)
        except InvalidArgument as exc:
            raise RotationFailed(exc.message, code=INVALID_CONFIG) from None
        step = {
            "SecretName": ctx.ticket.secret.name,
            "VersionId": ctx.ticket.pending_version_id,
            "RotationId": ctx.ticket.rotation_id,
        }
        created = _call(ctx, url, {"Step": CREATE, **step})
        value = _new_value(ctx, created)
        ctx.stage(value.encode())
        _call(ctx, url, {"Step": SET, **step, "SecretData": value})
        _call(ctx, url, {"Step": TEST, **step, "SecretData": value})
        _call(ctx, url, {"Step": FINISH, **step})

    def after_promotion(self, ctx: RotationContext) -> None:
        """Nothing to clean up: finishSecret already told the receiver."""


def _call(ctx: RotationContext, url: str, payload: dict[str, Any]) -> Delivery:
    delivery = ctx.webhooks.post(url, payload)
    if not delivery.ok:
        raise RotationFailed(
            f"the rotation webhook failed at step {payload['Step']}: {delivery.error}", code=STEP_FAILED
        )
    return delivery


def _new_value(ctx: RotationContext, created: Delivery) -> str:
    """The SecretData the receiver chose in its createSecret answer, or a generated password."""
    given = created.body.get("SecretData") if isinstance(created.body, dict) else None
    if given is None:
        given = random_password(PASSWORD_LENGTH, exclude_punctuation=True, rng=ctx.rng)
    elif not isinstance(given, str) or not given:
        raise RotationFailed(
            f"the rotation webhook answered step {CREATE} with a SecretData that is not a non-empty string",
            code=INVALID_RESPONSE,
        )
    ctx.sensitive.append(given)
    return given
