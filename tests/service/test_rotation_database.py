"""Rds secrets rotated on the machine's real PostgreSQL and MariaDB, with Vigil on both storage backends.

Each test creates throw-away roles/users with random names and drops them at the end. The
machine's PostgreSQL trusts every login from 127.0.0.1, so a PostgreSQL login proves nothing
about a password; there, "this password works" also checks the password against the SCRAM
verifier the server stored in pg_authid, which is what a password-checking server compares.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pymysql
import pytest
from psycopg import sql

from tests.conftest import PG_ADMIN_URL, RunningServer, postgres_available
from vigil.secrets.model import SecretType
from vigil.secrets.rotation.base import RotationFailed
from vigil.secrets.service import NewSecret

ADMIN_SECRET = "rds/admin"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scram_matches(verifier: str, password: str) -> bool:
    """Check a password against a stored SCRAM-SHA-256 verifier (RFC 5802 StoredKey)."""
    _method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored_key))


@dataclass
class LiveDatabase:
    """The machine's PostgreSQL or MariaDB, with the throw-away accounts a test made on it."""

    engine: str
    port: int
    created: list[str] = field(default_factory=list)

    def run(self, statement: Any, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.engine == "postgresql":
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                cur = conn.execute(statement, args)
                return list(cur.fetchall()) if cur.description else []
        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="", autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, args or None)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def create_account(self, password: str, *, admin: bool = False) -> str:
        name = f"vr_{'adm_' if admin else ''}{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        if self.engine == "postgresql":
            extra = sql.SQL(" CREATEROLE") if admin else sql.SQL("")
            self.run(
                sql.SQL("CREATE ROLE {} LOGIN{} PASSWORD {}").format(
                    sql.Identifier(name), extra, sql.Literal(password)
                )
            )
        else:
            self.run("CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
            if admin:
                self.run(f"GRANT CREATE USER ON *.* TO '{name}'@'%'")
        return name

    def refuse_logins(self, account: str, refuse: bool = True) -> None:
        """Make the server refuse every login of the account, whatever the password (or stop that)."""
        if self.engine == "postgresql":
            limit = sql.SQL("0" if refuse else "-1")
            self.run(sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(sql.Identifier(account), limit))
        else:
            self.run(f"ALTER USER %s@'%%' ACCOUNT {'LOCK' if refuse else 'UNLOCK'}", (account,))

    def password_works(self, account: str, password: str) -> bool:
        if self.engine == "postgresql":
            rows = self.run("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (account,))
            if not rows or not scram_matches(rows[0][0], password):
                return False
            with psycopg.connect(
                host="127.0.0.1", port=self.port, user=account, password=password, dbname="test"
            ) as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        try:
            conn = pymysql.connect(host="127.0.0.1", port=self.port, user=account, password=password)
        except pymysql.err.OperationalError as exc:
            assert exc.args[0] == 1045, exc.args
            return False
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            ok = cursor.fetchone() == (1,)
        conn.close()
        return ok

    def drop_all(self) -> None:
        for name in self.created:
            if self.engine == "postgresql":
                self.run(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
            else:
                self.run("DROP USER IF EXISTS %s@'%%'", (name,))


def _mariadb_available() -> bool:
    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", connect_timeout=3).close()
    except pymysql.Error:
        return False
    return True


@pytest.fixture(params=["postgresql", "mysql"])
def live(request: pytest.FixtureRequest) -> Iterator[LiveDatabase]:
    engine = str(request.param)
    if engine == "postgresql" and not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is unreachable")
    if engine == "mysql" and not _mariadb_available():
        pytest.skip("MariaDB at 127.0.0.1:3306 is unreachable")
    db = LiveDatabase(engine, 5432 if engine == "postgresql" else 3306)
    yield db
    db.drop_all()


def _value(account: str, password: str) -> bytes:
    return json.dumps({"AccountName": account, "AccountPassword": password}).encode()


def _admin(server: RunningServer, live: LiveDatabase, password: str = "Adm1nPassw0rd") -> str:
    account = live.create_account(password, admin=True)
    server.app.services.secrets.create_secret(
        server.account_id, NewSecret(ADMIN_SECRET, _value(account, password))
    )
    return account


def _rds_secret(
    server: RunningServer,
    live: LiveDatabase,
    account: str,
    password: str,
    *,
    name: str = "rds/app",
    **config: Any,
) -> None:
    extended = {
        "SecretSubType": "SingleUser",
        "DBEngine": live.engine,
        "Host": "127.0.0.1",
        "Port": live.port,
        "AdminSecretName": ADMIN_SECRET,
        **config,
    }
    server.app.services.secrets.create_secret(
        server.account_id,
        NewSecret(
            name,
            _value(account, password),
            secret_type=SecretType.RDS,
            extended_config=extended,
            version_id="v1",
        ),
    )


def _login(server: RunningServer, stage: str = "ACSCurrent", name: str = "rds/app") -> tuple[str, str]:
    value = json.loads(
        server.app.services.secrets.get_secret_value(server.account_id, name, stage=stage).data
    )
    return value["AccountName"], value["AccountPassword"]


def _assert_failed_cleanly(server: RunningServer, code: str, *passwords: str) -> dict[str, Any]:
    """The failure is recorded with its code, the pending version is gone and no password leaked."""
    secrets = server.app.services.secrets
    [row] = secrets.rotation_history(server.account_id, "rds/app")
    assert (row["status"], row["error_code"]) == ("Failure", code)
    assert secrets.stages(server.account_id, "rds/app") == {"ACSCurrent": "v1"}
    assert [v.version_id for v in secrets.list_secret_versions(server.account_id, "rds/app")] == ["v1"]
    for password in passwords:
        assert password not in json.dumps(row)
    return row


def test_single_user_rotation_changes_the_live_password(server: RunningServer, live: LiveDatabase) -> None:
    _admin(server, live)
    account = live.create_account("0riginalPassw0rd")
    _rds_secret(server, live, account, "0riginalPassw0rd")

    result = server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

    name, password = _login(server)
    assert name == account and password != "0riginalPassw0rd" and len(password) == 32
    assert password.isalnum()
    assert live.password_works(account, password)
    assert not live.password_works(account, "0riginalPassw0rd")
    assert _login(server, "ACSPrevious") == (account, "0riginalPassw0rd")
    stages = server.app.services.secrets.stages(server.account_id, "rds/app")
    assert stages == {"ACSCurrent": result.version_id, "ACSPrevious": "v1"}
    [row] = server.app.services.secrets.rotation_history(server.account_id, "rds/app")
    assert (row["status"], row["trigger_kind"], row["version_id"]) == ("Success", "Manual", result.version_id)


def test_double_users_rotation_keeps_the_previous_credential_working(
    server: RunningServer, live: LiveDatabase
) -> None:
    _admin(server, live)
    first, second = live.create_account("F1rstPassw0rd"), live.create_account("S3condPassw0rd")
    _rds_secret(
        server, live, first, "F1rstPassw0rd", SecretSubType="DoubleUsers", AccountNames=[first, second]
    )
    rotations = server.app.services.rotations

    rotations.rotate_secret(server.account_id, "rds/app")
    account, password = _login(server)
    assert account == second
    assert live.password_works(second, password)
    assert live.password_works(first, "F1rstPassw0rd")

    rotations.rotate_secret(server.account_id, "rds/app")
    account, newest = _login(server)
    assert account == first
    assert live.password_works(first, newest)
    assert _login(server, "ACSPrevious") == (second, password)
    assert live.password_works(second, password)
    assert not live.password_works(first, "F1rstPassw0rd")


def test_a_rejected_admin_login_changes_nothing(server: RunningServer, live: LiveDatabase) -> None:
    # PostgreSQL here trusts every password, so its admin login is refused for an unknown role instead
    admin = live.create_account("Adm1nPassw0rd", admin=True)
    if live.engine == "postgresql":
        admin = "vr_no_such_admin"
    server.app.services.secrets.create_secret(
        server.account_id, NewSecret(ADMIN_SECRET, _value(admin, "Wr0ngAdminPassword"))
    )
    account = live.create_account("0riginalPassw0rd")
    _rds_secret(server, live, account, "0riginalPassw0rd")

    with pytest.raises(RotationFailed) as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

    assert failed.value.code == "Rds.AdminAuthenticationFailed"
    row = _assert_failed_cleanly(
        server, "Rds.AdminAuthenticationFailed", "Wr0ngAdminPassword", "0riginalPassw0rd"
    )
    assert f"127.0.0.1:{live.port}" in row["error_message"] and repr(admin) in row["error_message"]
    assert live.password_works(account, "0riginalPassw0rd")


def test_a_server_that_is_down_fails_with_connection_failed(
    server: RunningServer, live: LiveDatabase
) -> None:
    _admin(server, live)
    account = live.create_account("0riginalPassw0rd")
    port = closed_port()
    _rds_secret(server, live, account, "0riginalPassw0rd", Port=port)

    with pytest.raises(RotationFailed) as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

    assert failed.value.code == "Rds.ConnectionFailed"
    row = _assert_failed_cleanly(server, "Rds.ConnectionFailed", "Adm1nPassw0rd", "0riginalPassw0rd")
    assert f"127.0.0.1:{port}" in row["error_message"]
    assert live.password_works(account, "0riginalPassw0rd")
    assert _login(server) == (account, "0riginalPassw0rd")


def test_a_new_password_that_cannot_log_in_is_rolled_back(server: RunningServer, live: LiveDatabase) -> None:
    _admin(server, live)
    account = live.create_account("0riginalPassw0rd")
    _rds_secret(server, live, account, "0riginalPassw0rd")
    live.refuse_logins(account)  # the password change works, the login with it does not

    with pytest.raises(RotationFailed, match="was restored") as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

    assert failed.value.code == "Rds.VerificationFailed"
    _assert_failed_cleanly(server, "Rds.VerificationFailed", "Adm1nPassw0rd", "0riginalPassw0rd")
    live.refuse_logins(account, refuse=False)
    assert live.password_works(account, "0riginalPassw0rd")


def test_a_locked_admin_account_is_an_authentication_failure_not_a_server_down(server: RunningServer) -> None:
    """The MySQL trap: MariaDB's 'account is locked' is error 4151, above the 2000-2999 client errors."""
    if not _mariadb_available():
        pytest.skip("MariaDB at 127.0.0.1:3306 is unreachable")
    live = LiveDatabase("mysql", 3306)
    try:
        admin = _admin(server, live)
        live.refuse_logins(admin)
        account = live.create_account("0riginalPassw0rd")
        _rds_secret(server, live, account, "0riginalPassw0rd")

        with pytest.raises(RotationFailed, match="4151") as failed:
            server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

        assert failed.value.code == "Rds.AdminAuthenticationFailed"
        assert live.password_works(account, "0riginalPassw0rd")
    finally:
        live.drop_all()


def test_a_missing_admin_secret_is_reported_before_anything_changes(
    server: RunningServer, live: LiveDatabase
) -> None:
    account = live.create_account("0riginalPassw0rd")
    _rds_secret(server, live, account, "0riginalPassw0rd")

    with pytest.raises(RotationFailed, match="rds/admin") as failed:
        server.app.services.rotations.rotate_secret(server.account_id, "rds/app")

    assert failed.value.code == "Rds.AdminSecretNotFound"
    _assert_failed_cleanly(server, "Rds.AdminSecretNotFound", "0riginalPassw0rd")
    assert live.password_works(account, "0riginalPassw0rd")


def test_automatic_rotation_changes_the_password_when_the_interval_passes(
    server: RunningServer, live: LiveDatabase
) -> None:
    _admin(server, live)
    account = live.create_account("0riginalPassw0rd")
    _rds_secret(server, live, account, "0riginalPassw0rd")
    secrets = server.app.services.secrets
    secrets.update_rotation_policy(server.account_id, "rds/app", True, 86400)

    server.advance(3600)
    assert secrets.rotation_history(server.account_id, "rds/app") == []
    server.advance(86400 + 1)

    [row] = secrets.rotation_history(server.account_id, "rds/app")
    assert (row["status"], row["trigger_kind"]) == ("Success", "Automatic")
    _name, password = _login(server)
    assert live.password_works(account, password)
    assert not live.password_works(account, "0riginalPassw0rd")
