"""PostgreSQL for the database rotator: ALTER ROLE … WITH PASSWORD, and a real login to prove it.

libpq reports a refused login and an unreachable server with the same exception and no
SQLSTATE, so a failed connection is classified by probing host:port afterwards.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from vigil.secrets.rotation.engines import (
    CONNECT_TIMEOUT_S,
    Endpoint,
    EngineError,
    Failure,
    Login,
    first_line,
    reachable,
)

DEFAULT_DATABASE = "postgres"


class PostgresEngine:
    def __init__(self, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self._timeout = connect_timeout_s

    def set_password(self, endpoint: Endpoint, admin: Login, account: str, password: str) -> None:
        statement = sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
            sql.Identifier(account), sql.Literal(password)
        )
        with self._connect(endpoint, admin) as conn:
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                raise EngineError(Failure.STATEMENT_REJECTED, _server_message(exc)) from None

    def check_login(self, endpoint: Endpoint, login: Login) -> None:
        with self._connect(endpoint, login) as conn:
            try:
                conn.execute("SELECT 1").fetchone()
            except psycopg.Error as exc:
                raise EngineError(Failure.STATEMENT_REJECTED, _server_message(exc)) from None

    def _connect(self, endpoint: Endpoint, login: Login) -> psycopg.Connection[tuple[object, ...]]:
        try:
            return psycopg.connect(
                host=endpoint.host,
                port=endpoint.port,
                dbname=endpoint.database or DEFAULT_DATABASE,
                user=login.account,
                password=login.password,
                connect_timeout=max(2, round(self._timeout)),
                application_name="vigil-rotation",
                options=f"-c statement_timeout={round(self._timeout * 1000)}",
                autocommit=True,
            )
        except psycopg.Error as exc:
            failure = Failure.LOGIN_REJECTED if reachable(endpoint, self._timeout) else Failure.UNREACHABLE
            raise EngineError(failure, first_line(exc)) from None


def _server_message(exc: psycopg.Error) -> str:
    return exc.diag.message_primary or first_line(exc)
