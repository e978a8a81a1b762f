"""The storage layer on SQLite and PostgreSQL: migrations, transactions, error translation."""

from __future__ import annotations

import pytest

from vigil.errors import Internal
from vigil.storage.engine import Conflict, Database
from vigil.storage.migrations import migrate, migration_files


def test_migrations_apply_once_and_are_recorded(database: Database) -> None:
    assert migrate(database) == []
    with database.transaction(write=False) as tx:
        versions = [r["version"] for r in tx.all("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [v for v, _ in migration_files()]


def test_a_failed_transaction_leaves_nothing_behind(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as tx:
        tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", ("half", "written"))
        raise RuntimeError("boom")
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT value FROM meta WHERE name = ?", ("half",)) is None


def test_a_committed_transaction_is_visible_to_a_new_one(database: Database) -> None:
    with database.transaction() as tx:
        assert tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", ("k", "v")) == 1
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT value FROM meta WHERE name = ?", ("k",)) == {"value": "v"}


def test_a_duplicate_primary_key_becomes_conflict(database: Database) -> None:
    with database.transaction() as tx:
        tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", ("dup", "1"))
    with pytest.raises(Conflict, match="constraint"), database.transaction() as tx:
        tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", ("dup", "2"))
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT value FROM meta WHERE name = ?", ("dup",)) == {"value": "1"}


def test_bad_sql_is_translated_not_leaked_as_a_driver_error(database: Database) -> None:
    with pytest.raises(Internal, match="storage error"), database.transaction() as tx:
        tx.execute("SELECT * FROM no_such_table")


def test_percent_signs_and_blobs_round_trip(database: Database) -> None:
    blob = bytes(range(256))
    with database.transaction() as tx:
        tx.execute("INSERT INTO meta (name, value) VALUES (?, ?)", ("100%", "a%sb"))
        tx.execute(
            "INSERT INTO accounts (account_id, project_id, region, created_at) VALUES (?, ?, ?, ?)",
            ("1000000000000001", "p" * 32, "cn-hangzhou", 1),
        )
        tx.execute(
            "INSERT INTO access_keys (access_key_id, account_id, user_name, wrapped_secret, status, created_at) "
            "VALUES (?, ?, NULL, ?, 'Active', 1)",
            ("LTAIblob", "1000000000000001", blob),
        )
    with database.transaction(write=False) as tx:
        assert tx.one("SELECT value FROM meta WHERE name LIKE '100%'") == {"value": "a%sb"}
        row = tx.one("SELECT wrapped_secret FROM access_keys WHERE access_key_id = ?", ("LTAIblob",))
    assert row is not None and bytes(row["wrapped_secret"]) == blob
