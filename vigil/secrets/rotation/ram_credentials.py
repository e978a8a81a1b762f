"""Rotation of a user's Vigil access key (SecretType RAMCredentials, SecretSubType RamUserAccessKey).

Each rotation creates a new access key and stages it; once it is ACSCurrent, the key of the
version that just lost ACSPrevious (two versions old) is deleted, so a user has at most the
current and the previous key alive and clients have one full interval to pick up the new one.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil.errors import InvalidArgument, VigilError
from vigil.iam.model import AccessKeyMissing, UserNotFound, check_user_name
from vigil.secrets.rotation.base import RotationContext, RotationFailed

log = logging.getLogger("vigil.rotation")

SUB_TYPE = "RamUserAccessKey"

INVALID_CONFIG = "RAM.InvalidConfig"
USER_NOT_FOUND = "RAM.UserNotFound"
CREATE_ACCESS_KEY_FAILED = "RAM.CreateAccessKeyFailed"

_SHAPE = '{"AccessKeyId": "...", "AccessKeySecret": "..."}'


@dataclass(frozen=True, slots=True)
class AccessKeyPair:
    access_key_id: str
    secret: str = field(repr=False)

    def encode(self) -> bytes:
        return json.dumps({"AccessKeyId": self.access_key_id, "AccessKeySecret": self.secret}).encode()


def parse_access_key(data: bytes, what: str) -> AccessKeyPair:
    """Raises InvalidArgument (never echoing the value)."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} must be JSON {_SHAPE}")
    key_id, secret = value.get("AccessKeyId"), value.get("AccessKeySecret")
    if not isinstance(key_id, str) or not key_id or not isinstance(secret, str) or not secret:
        raise InvalidArgument(f"{what} needs a non-empty AccessKeyId and AccessKeySecret")
    return AccessKeyPair(key_id, secret)


def user_name(config: Mapping[str, Any]) -> str:
    """Raises InvalidArgument naming the ExtendedConfig field at fault."""
    if config.get("SecretSubType") != SUB_TYPE:
        raise InvalidArgument(f"ExtendedConfig.SecretSubType must be {SUB_TYPE} for a RAMCredentials secret")
    name = config.get("UserName")
    if not isinstance(name, str) or not name:
        raise InvalidArgument("ExtendedConfig.UserName is required: the user whose access key is rotated")
    return check_user_name(name)


class RamCredentialsRotator:
    def check_config(self, config: dict[str, Any], data: bytes) -> None:
        user_name(config)
        parse_access_key(data, "SecretData of a RAMCredentials secret")

    def rotate(self, ctx: RotationContext) -> None:
        try:
            user = user_name(ctx.config)
        except InvalidArgument as exc:
            raise RotationFailed(exc.message, code=INVALID_CONFIG) from None
        try:
            key, secret = ctx.iam.create_access_key(ctx.account_id, user)
        except UserNotFound:
            raise RotationFailed(
                f"user {user!r} (ExtendedConfig.UserName) does not exist", code=USER_NOT_FOUND
            ) from None
        except VigilError as exc:
            raise RotationFailed(
                f"creating an access key for user {user!r} failed: {exc.message}",
                code=CREATE_ACCESS_KEY_FAILED,
            ) from None
        ctx.sensitive.append(secret)
        try:
            ctx.stage(AccessKeyPair(key.access_key_id, secret).encode())
        except BaseException:
            # a key that no version holds would live forever: take it back
            ctx.iam.delete_access_key(ctx.account_id, key.access_key_id)
            raise

    def after_promotion(self, ctx: RotationContext) -> None:
        """Delete the user's key held by the version that was ACSPrevious before this promotion."""
        retired = _key_id(ctx.previous_value())
        still_previous = _key_id(ctx.current_value())
        if retired is None or retired == still_previous:
            return
        user = user_name(ctx.config)
        if retired not in {k.access_key_id for k in ctx.iam.list_access_keys(ctx.account_id, user)}:
            log.info("access key %s of a retired version is not user %s's; left alone", retired, user)
            return
        with contextlib.suppress(AccessKeyMissing):  # deleted by hand meanwhile
            ctx.iam.delete_access_key(ctx.account_id, retired)


def _key_id(data: bytes | None) -> str | None:
    if data is None:
        return None
    try:
        return parse_access_key(data, "version").access_key_id
    except InvalidArgument:
        return None
