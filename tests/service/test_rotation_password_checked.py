"""Rds rotations against a PostgreSQL cluster of the test's own that checks every password.

The machine's PostgreSQL trusts every login from 127.0.0.1, so there a login proves nothing.
Here one cluster per module is made with initdb (scram-sha-256 for every connection, on a
free port): a password that works logs in, and one that does not is refused by the server.
Vigil itself stores its data on both backends, through the ``server`` fixture.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import RunningServer
from vigil.secrets.model import SecretType
from vigil.secrets.rotation.base import RotationFailed
from vigil.secrets.service import NewSecret
from vigil.testing import PG_BIN_GLOB, PostgresCluster

ADMIN_SECRET = "rds/admin"
ADMIN_PASSWORD = "Adm1nPassw0rd"
REFUSED = "password authentication failed"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    """One scram-only cluster for the module; stopped and removed even when a test fails."""
    if PostgresCluster.find_binaries() is None:
        pytest.skip(
            f"NO POSTGRESQL SERVER BINARIES (initdb, pg_ctl) under {PG_BIN_GLOB}: the tests that prove "
            "a rotated password is really checked cannot run; install the postgresql server package"
        )
    # pytest's tmp_path is private to root (0700), and the server runs as the postgres OS user
    started = PostgresCluster.start(Path(tempfile.gettempdir()))
    try:
        yield started
    finally:
        started.stop()


@dataclass
class ScramDatabase:
    """The test's cluster, with the throw-away roles a test made on it."""

    cluster: PostgresCluster
    created: list[str] = field(default_factory=list)

    def run(self, statement: sql.Composed | str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        dsn = self.cluster.dsn(self.cluster.superuser, self.cluster.password)
        with psycopg.connect(dsn, autocommit=True) as conn:
            cur = conn.execute(statement, args)
            return list(cur.fetchall()) if cur.description else []

    def create_account(self, password: str, *, admin: bool = False) -> str:
        name = f"vr_{'adm_' if admin else ''}{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        extra = sql.SQL(" CREATEROLE") if admin else sql.SQL("")
        self.run(
            sql.SQL("CREATE ROLE {} LOGIN{} PASSWORD {}").format(
                sql.Identifier(name), extra, sql.Literal(password)
            )
        )
        return name

    def refuse_logins(self, account: str, refuse: bool = True) -> None:
        """CONNECTION LIMIT 0: the password is still checked, then the session is refused."""
        limit = sql.SQL("0" if refuse else "-1")
        self.run(sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(sql.Identifier(account), limit))

    def logs_in(self, account: str, password: str) -> bool:
        """True after a real session ran SELECT 1; False when the server refused the password."""
        try:
            conn = psycopg.connect(self.cluster.dsn(account, password))
        except psycopg.OperationalError as exc:
            assert REFUSED in str(exc), exc
            return False
        with conn:
            return conn.execute("SELECT current_user").fetchone() == (account,)

    def verifier(self, account: str) -> str:
        [(stored,)] = self.run("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (account,))
        return str(stored)

    def drop_all(self) -> None:
        for name in self.created:
            self.run(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def db(cluster: PostgresCluster) -> Iterator[ScramDatabase]:
    scram = ScramDatabase(cluster)
    yield scram
    scram.drop_all()


def _value(account: str, password: str) -> bytes:
    return json.dumps({"AccountName": account, "AccountPassword": password}).encode()


def _admin(server: RunningServer, db: ScramDatabase, stored_password: str = ADMIN_PASSWORD) -> str:
    """A CREATEROLE account whose password is ADMIN_PASSWORD; Vigil's admin secret holds ``stored_password``."""
    account = db.create_account(ADMIN_PASSWORD, admin=True)
    server.app.services.secrets.create_secret(
        server.account_id, NewSecret(ADMIN_SECRET, _value(account, stored_password))
    )
    return account


def _rds_secret(server: RunningServer, db: ScramDatabase, account: str, password: str, **config: Any) -> None:
    extended = {
        "SecretSubType": "SingleUser",
        "DBEngine": "postgresql",
        "Host": db.cluster.host,
        "Port": db.cluster.port,
        "AdminSecretName": ADMIN_SECRET,
        **config,
    }
    server.app.services.secrets.create_secret(
        server.account_id,
        NewSecret(
            "rds/app",
            _value(account, password),
            secret_type=SecretType.RDS,
            extended_config=extended,
            version_id="v1",
        ),
    )


def _login(server: RunningServer, stage: str = "ACSCurrent") -> tuple[str, str]:
    data = server.app.services.secrets.get_secret_value(server.account_id, "rds/app", stage=stage).data
    value = json.loads(data)
    return value["AccountName"], value["AccountPassword"]


def _rotate(server: RunningServer) -> None:
    server.app.services.rotations.rotate_secret(server.account_id, "rds/app")


def _failure(server: RunningServer) -> RotationFailed:
    with pytest.raises(RotationFailed) as failed:
        _rotate(server)
    [row] = server.app.services.secrets.rotation_history(server.account_id, "rds/app")
    assert (row["status"], row["error_code"]) == ("Failure", failed.value.code)
    assert server.app.services.secrets.stages(server.account_id, "rds/app") == {"ACSCurrent": "v1"}
    return failed.value


def test_the_cluster_refuses_a_wrong_password(db: ScramDatabase) -> None:
    account = db.create_account("0riginalPassw0rd")

    assert db.logs_in(account, "0riginalPassw0rd")
    assert not db.logs_in(account, "0riginalPassw0rX")
    assert db.verifier(account).startswith("SCRAM-SHA-256$")


def test_single_user_rotation_makes_the_server_refuse_the_old_password(
    server: RunningServer, db: ScramDatabase
) -> None:
    _admin(server, db)
    account = db.create_account("0riginalPassw0rd")
    _rds_secret(server, db, account, "0riginalPassw0rd")

    _rotate(server)

    name, password = _login(server)
    assert name == account and password != "0riginalPassw0rd"
    assert db.logs_in(account, password)
    with pytest.raises(psycopg.OperationalError, match=REFUSED):
        psycopg.connect(db.cluster.dsn(account, "0riginalPassw0rd")).close()
    assert _login(server, "ACSPrevious") == (account, "0riginalPassw0rd")
    assert db.verifier(account).startswith("SCRAM-SHA-256$")


def test_a_wrong_admin_password_fails_the_rotation_and_keeps_the_current_login(
    server: RunningServer, db: ScramDatabase
) -> None:
    admin = _admin(server, db, stored_password="Wr0ngAdminPassword")
    account = db.create_account("0riginalPassw0rd")
    _rds_secret(server, db, account, "0riginalPassw0rd")

    failure = _failure(server)

    assert failure.code == "Rds.AdminAuthenticationFailed"
    assert repr(admin) in failure.message and REFUSED in failure.message
    assert "Wr0ngAdminPassword" not in failure.message
    assert db.logs_in(admin, ADMIN_PASSWORD)  # the admin exists: only its password was wrong
    assert _login(server) == (account, "0riginalPassw0rd")
    assert db.logs_in(account, "0riginalPassw0rd")


def test_double_users_keep_the_previous_credential_until_the_next_rotation(
    server: RunningServer, db: ScramDatabase
) -> None:
    _admin(server, db)
    first, second = db.create_account("F1rstPassw0rd"), db.create_account("S3condPassw0rd")
    _rds_secret(server, db, first, "F1rstPassw0rd", SecretSubType="DoubleUsers", AccountNames=[first, second])

    _rotate(server)
    account, password = _login(server)
    assert account == second
    assert db.logs_in(second, password)
    assert not db.logs_in(second, "S3condPassw0rd")
    assert _login(server, "ACSPrevious") == (first, "F1rstPassw0rd")
    assert db.logs_in(first, "F1rstPassw0rd")

    _rotate(server)
    account, newest = _login(server)
    assert account == first
    assert db.logs_in(first, newest)
    assert not db.logs_in(first, "F1rstPassw0rd")
    assert _login(server, "ACSPrevious") == (second, password)
    assert db.logs_in(second, password)


def test_a_failed_verification_puts_the_old_password_back(server: RunningServer, db: ScramDatabase) -> None:
    _admin(server, db)
    account = db.create_account("0riginalPassw0rd")
    _rds_secret(server, db, account, "0riginalPassw0rd")
    db.refuse_logins(account)  # the password change works, the login with the new one does not

    failure = _failure(server)

    assert failure.code == "Rds.VerificationFailed"
    assert "was restored" in failure.message
    assert _login(server) == (account, "0riginalPassw0rd")
    # still refused, but for the connection limit: the server accepted the old password first
    with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
        psycopg.connect(db.cluster.dsn(account, "0riginalPassw0rd")).close()
    db.refuse_logins(account, refuse=False)
    assert db.logs_in(account, "0riginalPassw0rd")
