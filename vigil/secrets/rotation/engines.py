"""What the database rotator needs from a database engine: change a password, prove a login.

Each engine (``postgresql.py``, ``mysql.py``) translates its driver's errors into one
``EngineError`` whose ``failure`` says whether the server was unreachable, refused the login,
or refused the statement, so the rotator can report a stable code for each.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

CONNECT_TIMEOUT_S = 5.0


class Failure(StrEnum):
    UNREACHABLE = "Unreachable"
    """Nothing answered at host:port (refused, timed out, name not resolved)."""
    LOGIN_REJECTED = "LoginRejected"
    """The server answered but refused the login (wrong password, unknown account, no access)."""
    STATEMENT_REJECTED = "StatementRejected"
    """Logged in, but the server refused the statement (e.g. no privilege to alter the account)."""


class EngineError(Exception):
    """A driver error in Vigil's terms; ``detail`` is the driver's first line (may need scrubbing)."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    database: str | None = None
    account_host: str = "%"
    """MySQL only: the host part of 'user'@'host'."""

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Login:
    account: str
    password: str = field(repr=False)


class Engine(Protocol):
    def set_password(self, endpoint: Endpoint, admin: Login, account: str, password: str) -> None:
        """Log in as ``admin`` and give ``account`` the new password. Raises EngineError."""
        ...

    def check_login(self, endpoint: Endpoint, login: Login) -> None:
        """Open a real session as ``login`` and run ``SELECT 1``. Raises EngineError."""
        ...


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def reachable(endpoint: Endpoint, timeout_s: float) -> bool:
    """Whether anything accepts a TCP connection at host:port (tells "down" from "refused login")."""
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            return True
    except OSError:
        return False
