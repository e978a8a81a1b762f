"""Rotation of database account passwords (SecretType Rds) on the live PostgreSQL or MySQL server.

SingleUser gives the one account a new password; DoubleUsers alternates between two accounts
so the previous credential keeps working until the next rotation. Either way the new
password is staged first, set with the admin account named by AdminSecretName, proven by a
real login, and only then promoted by the runner. Failure codes are listed in ``docs/rotation.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeGuard

from vigil.errors import InvalidArgument, VigilError
from vigil.keys.crypto import random_password
from vigil.secrets.model import check_secret_name
from vigil.secrets.rotation.base import RotationContext, RotationFailed
from vigil.secrets.rotation.engines import Endpoint, Engine, EngineError, Failure, Login

PASSWORD_LENGTH = 32
MAX_ACCOUNT_NAME = 64

ADMIN_SECRET_NOT_FOUND = "Rds.AdminSecretNotFound"
INVALID_ADMIN_SECRET = "Rds.InvalidAdminSecret"
INVALID_CONFIG = "Rds.InvalidConfig"
INVALID_CURRENT_VALUE = "Rds.InvalidCurrentValue"
CONNECTION_FAILED = "Rds.ConnectionFailed"
ADMIN_AUTHENTICATION_FAILED = "Rds.AdminAuthenticationFailed"
PASSWORD_CHANGE_FAILED = "Rds.PasswordChangeFailed"
VERIFICATION_FAILED = "Rds.VerificationFailed"

_CREDENTIAL_SHAPE = '{"AccountName": "...", "AccountPassword": "..."}'
_ENGINE_ALIASES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


class SubType(StrEnum):
    SINGLE_USER = "SingleUser"
    DOUBLE_USERS = "DoubleUsers"


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    sub_type: SubType
    engine: str
    endpoint: Endpoint
    admin_secret_name: str
    account_names: tuple[str, str] | None

    @classmethod
    def parse(cls, config: Mapping[str, Any]) -> DatabaseConfig:
        """Raises InvalidArgument naming the ExtendedConfig field at fault."""
        try:
            sub_type = SubType(str(config.get("SecretSubType")))
        except ValueError:
            raise InvalidArgument("ExtendedConfig.SecretSubType must be SingleUser or DoubleUsers") from None
        engine = _ENGINE_ALIASES.get(str(config.get("DBEngine", "")).lower())
        if engine is None:
            raise InvalidArgument("ExtendedConfig.DBEngine must be postgresql or mysql")
        admin = config.get("AdminSecretName")
        if not isinstance(admin, str) or not admin:
            raise InvalidArgument(
                f"ExtendedConfig.AdminSecretName is required: a Generic secret holding {_CREDENTIAL_SHAPE} "
                "of an account allowed to change passwords"
            )
        check_secret_name(admin)
        return cls(sub_type, engine, _endpoint(config, engine), admin, _account_names(config, sub_type))

    def account_for(self, current: str) -> str:
        """The account the next version uses: the same one, or the other of AccountNames."""
        if self.account_names is None:
            return current
        first, second = self.account_names
        return second if current == first else first


def _endpoint(config: Mapping[str, Any], engine: str) -> Endpoint:
    host = config.get("Host")
    if not isinstance(host, str) or not host.strip() or len(host) > 255 or any(c.isspace() for c in host):
        raise InvalidArgument(
            "ExtendedConfig.Host is required: the database server's host name or IP address"
        )
    port = config.get("Port")
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise InvalidArgument("ExtendedConfig.Port must be an integer between 1 and 65535")
    database = config.get("Database")
    if database is not None and (not isinstance(database, str) or not database):
        raise InvalidArgument("ExtendedConfig.Database must be a non-empty string when given")
    account_host = config.get("AccountHost", "%")
    if engine != "mysql" and "AccountHost" in config:
        raise InvalidArgument("ExtendedConfig.AccountHost applies to DBEngine mysql only")
    if not isinstance(account_host, str) or not account_host or len(account_host) > 255:
        raise InvalidArgument("ExtendedConfig.AccountHost must be a host pattern such as '%' or '10.0.0.%'")
    return Endpoint(host, port, database, account_host)


def _account_names(config: Mapping[str, Any], sub_type: SubType) -> tuple[str, str] | None:
    names = config.get("AccountNames")
    if sub_type is SubType.SINGLE_USER:
        if names is not None:
            raise InvalidArgument("ExtendedConfig.AccountNames is only used with SecretSubType DoubleUsers")
        return None
    if (
        not isinstance(names, list)
        or len(names) != 2
        or not all(_valid_account(n) for n in names)
        or names[0] == names[1]
    ):
        raise InvalidArgument(
            "ExtendedConfig.AccountNames must list two different account names for DoubleUsers"
        )
    return names[0], names[1]


def _valid_account(name: object) -> TypeGuard[str]:
    return isinstance(name, str) and 0 < len(name) <= MAX_ACCOUNT_NAME and name.isprintable()


def parse_login(data: bytes, what: str) -> Login:
    """A JSON credential {AccountName, AccountPassword}. Raises InvalidArgument (never echoing it)."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{what} must be JSON {_CREDENTIAL_SHAPE}")
    account, password = value.get("AccountName"), value.get("AccountPassword")
    if not isinstance(password, str) or not password:
        raise InvalidArgument(f"{what} needs a non-empty AccountPassword")
    if _valid_account(account):
        return Login(account, password)
    raise InvalidArgument(f"{what} needs AccountName: 1-{MAX_ACCOUNT_NAME} printable characters")


def encode_login(login: Login) -> bytes:
    return json.dumps({"AccountName": login.account, "AccountPassword": login.password}).encode()


class DatabaseRotator:
    def __init__(self, engines: Mapping[str, Engine]) -> None:
        self._engines = dict(engines)

    def check_config(self, config: dict[str, Any], data: bytes) -> None:
        parsed = self._parse(config)
        current = parse_login(data, "SecretData of an Rds secret")
        if parsed.account_names is not None and current.account not in parsed.account_names:
            raise InvalidArgument("SecretData.AccountName must be one of ExtendedConfig.AccountNames")

    def rotate(self, ctx: RotationContext) -> None:
        config = self._config(ctx)
        current = _current_login(ctx, config)
        admin = _admin_login(ctx, config.admin_secret_name)
        engine = self._engines[config.engine]
        new = Login(config.account_for(current.account), _new_password(ctx))
        old = current if new.account == current.account else _previous_login(ctx, new.account)
        ctx.stage(encode_login(new))
        _set_password(engine, config, admin, new)
        try:
            engine.check_login(config.endpoint, new)
        except EngineError as exc:
            outcome = _restore(engine, config, admin, new.account, old)
            raise RotationFailed(
                f"logging in to {config.endpoint} as {new.account!r} with the new password failed: "
                f"{exc.detail}; {outcome}",
                code=VERIFICATION_FAILED,
            ) from None

    def after_promotion(self, ctx: RotationContext) -> None:
        """Nothing to clean up: the old password is already gone (SingleUser) or kept on purpose."""

    def _parse(self, config: Mapping[str, Any]) -> DatabaseConfig:
        parsed = DatabaseConfig.parse(config)
        if parsed.engine not in self._engines:
            raise InvalidArgument(f"ExtendedConfig.DBEngine {parsed.engine} is not enabled on this server")
        return parsed

    def _config(self, ctx: RotationContext) -> DatabaseConfig:
        try:
            return self._parse(ctx.config)
        except InvalidArgument as exc:
            raise RotationFailed(exc.message, code=INVALID_CONFIG) from None


def _new_password(ctx: RotationContext) -> str:
    # letters and digits only: nothing that a shell, a URL or a connection string must quote
    password = random_password(PASSWORD_LENGTH, exclude_punctuation=True, rng=ctx.rng)
    ctx.sensitive.append(password)
    return password


def _current_login(ctx: RotationContext, config: DatabaseConfig) -> Login:
    name = ctx.ticket.secret.name
    data = ctx.current_value()
    if data is None:
        raise RotationFailed(
            f"secret {name!r} has no ACSCurrent version to rotate", code=INVALID_CURRENT_VALUE
        )
    try:
        login = parse_login(data, f"the ACSCurrent value of secret {name!r}")
    except InvalidArgument as exc:
        raise RotationFailed(exc.message, code=INVALID_CURRENT_VALUE) from None
    ctx.sensitive.append(login.password)
    if config.account_names is not None and login.account not in config.account_names:
        raise RotationFailed(
            f"the ACSCurrent value of secret {name!r} is for account {login.account!r}, "
            "which is not one of ExtendedConfig.AccountNames",
            code=INVALID_CURRENT_VALUE,
        )
    return login


def _previous_login(ctx: RotationContext, account: str) -> Login | None:
    """DoubleUsers: the other account's password as ACSPrevious holds it, if it does."""
    data = ctx.previous_value()
    if data is None:
        return None
    try:
        login = parse_login(data, "ACSPrevious")
    except InvalidArgument:
        return None
    ctx.sensitive.append(login.password)
    return login if login.account == account else None


def _admin_login(ctx: RotationContext, admin_secret: str) -> Login:
    try:
        data = ctx.secrets.get_secret_value(ctx.account_id, admin_secret).data
    except VigilError as exc:
        raise RotationFailed(
            f"the admin secret {admin_secret!r} (ExtendedConfig.AdminSecretName) cannot be read: {exc.message}",
            code=ADMIN_SECRET_NOT_FOUND,
        ) from None
    try:
        login = parse_login(data, f"the admin secret {admin_secret!r}")
    except InvalidArgument as exc:
        raise RotationFailed(exc.message, code=INVALID_ADMIN_SECRET) from None
    ctx.sensitive.append(login.password)
    return login


def _set_password(engine: Engine, config: DatabaseConfig, admin: Login, new: Login) -> None:
    where = f"the {config.engine} server at {config.endpoint}"
    try:
        engine.set_password(config.endpoint, admin, new.account, new.password)
    except EngineError as exc:
        if exc.failure is Failure.UNREACHABLE:
            raise RotationFailed(f"cannot reach {where}: {exc.detail}", code=CONNECTION_FAILED) from None
        if exc.failure is Failure.LOGIN_REJECTED:
            raise RotationFailed(
                f"{where} refused the login of admin account {admin.account!r}: {exc.detail}",
                code=ADMIN_AUTHENTICATION_FAILED,
            ) from None
        raise RotationFailed(
            f"{where} refused to change the password of account {new.account!r} "
            f"(as admin {admin.account!r}): {exc.detail}",
            code=PASSWORD_CHANGE_FAILED,
        ) from None


def _restore(engine: Engine, config: DatabaseConfig, admin: Login, account: str, old: Login | None) -> str:
    """Put the old password back so the credential Vigil still serves keeps working."""
    if old is None:
        return f"account {account!r} is in no version Vigil still serves, so it was left as it is"
    try:
        engine.set_password(config.endpoint, admin, account, old.password)
    except EngineError as exc:
        return f"restoring the previous password of {account!r} also failed: {exc.detail}"
    return f"the previous password of {account!r} was restored"
