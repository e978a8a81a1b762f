"""MySQL and MariaDB for the database rotator: ALTER USER … IDENTIFIED BY, and a real login to prove it.

Both a wrong password and a server that is down arrive as ``OperationalError``; the error
number tells them apart. Client errors (2000-2999: 2003 cannot connect, 2013 lost connection)
mean nothing usable answered; every other number is the server's (1045 access denied, 1044 no
access to the database, MariaDB's 4151 account locked) and means it refused the login.
"""

from __future__ import annotations

import pymysql
from pymysql.connections import Connection

from vigil.secrets.rotation.engines import (
    CONNECT_TIMEOUT_S,
    Endpoint,
    EngineError,
    Failure,
    Login,
    first_line,
)

CLIENT_ERRORS = range(2000, 3000)


class MysqlEngine:
    def __init__(self, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self._timeout = connect_timeout_s

    def set_password(self, endpoint: Endpoint, admin: Login, account: str, password: str) -> None:
        conn = self._connect(endpoint, admin, database=None)
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "ALTER USER %s@%s IDENTIFIED BY %s", (account, endpoint.account_host, password)
                )
        except pymysql.Error as exc:
            raise EngineError(Failure.STATEMENT_REJECTED, _message(exc)) from None
        finally:
            conn.close()

    def check_login(self, endpoint: Endpoint, login: Login) -> None:
        conn = self._connect(endpoint, login, database=endpoint.database)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except pymysql.Error as exc:
            raise EngineError(Failure.STATEMENT_REJECTED, _message(exc)) from None
        finally:
            conn.close()

    def _connect(
        self, endpoint: Endpoint, login: Login, *, database: str | None
    ) -> Connection[pymysql.cursors.Cursor]:
        try:
            return pymysql.connect(
                host=endpoint.host,
                port=endpoint.port,
                user=login.account,
                password=login.password,
                database=database,
                connect_timeout=self._timeout,
                read_timeout=self._timeout,
                write_timeout=self._timeout,
                autocommit=True,
                charset="utf8mb4",
            )
        except pymysql.Error as exc:
            raise EngineError(_connect_failure(exc), _message(exc)) from None
        except OSError as exc:
            raise EngineError(Failure.UNREACHABLE, first_line(exc)) from None


def _connect_failure(exc: pymysql.Error) -> Failure:
    number = exc.args[0] if exc.args and isinstance(exc.args[0], int) else CLIENT_ERRORS.start
    return Failure.UNREACHABLE if number in CLIENT_ERRORS else Failure.LOGIN_REJECTED


def _message(exc: pymysql.Error) -> str:
    if len(exc.args) >= 2:
        return f"({exc.args[0]}) {str(exc.args[1]).splitlines()[0][:300]}"
    return first_line(exc)
