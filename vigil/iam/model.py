"""Principals, users and access keys (pure values)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from vigil.errors import InvalidArgument, NotFound


class AccessKeyStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    project_id: str
    region: str
    created_at: int


@dataclass(frozen=True, slots=True)
class User:
    account_id: str
    user_name: str
    user_id: str
    display_name: str
    comments: str
    created_at: int


@dataclass(frozen=True, slots=True)
class AccessKey:
    access_key_id: str
    account_id: str
    user_name: str | None
    status: AccessKeyStatus
    created_at: int


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the account's root identity (user_name None) or a RAM user."""

    account_id: str
    user_name: str | None
    user_id: str | None
    access_key_id: str | None

    @property
    def is_root(self) -> bool:
        return self.user_name is None

    @property
    def principal_id(self) -> str:
        return self.account_id if self.user_id is None else self.user_id

    @property
    def identity_type(self) -> str:
        return "root-account" if self.is_root else "ram-user"


class UserNotFound(NotFound):
    code = "EntityNotExist.User"


class AccessKeyMissing(NotFound):
    code = "EntityNotExist.AccessKey"


_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def check_user_name(name: str) -> str:
    """Raises InvalidArgument unless the name is 1-64 letters, digits or . _ @ -."""
    if not _USER_NAME.match(name):
        raise InvalidArgument(
            f"UserName {name!r} is invalid: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name
