"""SQL for accounts, users, access keys and policies."""

from __future__ import annotations

from vigil.iam.model import AccessKey, AccessKeyStatus, Account, User
from vigil.storage.engine import Row, Tx


def _account(r: Row) -> Account:
    return Account(r["account_id"], r["project_id"], r["region"], r["created_at"])


def _user(r: Row) -> User:
    return User(
        r["account_id"], r["user_name"], r["user_id"], r["display_name"], r["comments"], r["created_at"]
    )


def _access_key(r: Row) -> AccessKey:
    return AccessKey(
        r["access_key_id"], r["account_id"], r["user_name"], AccessKeyStatus(r["status"]), r["created_at"]
    )


def first_account(tx: Tx) -> Account | None:
    row = tx.one("SELECT * FROM accounts ORDER BY created_at LIMIT 1")
    return None if row is None else _account(row)


def insert_account(tx: Tx, account: Account) -> None:
    tx.execute(
        "INSERT INTO accounts (account_id, project_id, region, created_at) VALUES (?, ?, ?, ?)",
        (account.account_id, account.project_id, account.region, account.created_at),
    )


def insert_user(tx: Tx, user: User) -> None:
    tx.execute(
        "INSERT INTO users (account_id, user_name, user_id, display_name, comments, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (user.account_id, user.user_name, user.user_id, user.display_name, user.comments, user.created_at),
    )


def get_user(tx: Tx, account_id: str, user_name: str) -> User | None:
    row = tx.one("SELECT * FROM users WHERE account_id = ? AND user_name = ?", (account_id, user_name))
    return None if row is None else _user(row)


def list_users(tx: Tx, account_id: str) -> list[User]:
    return [
        _user(r) for r in tx.all("SELECT * FROM users WHERE account_id = ? ORDER BY user_name", (account_id,))
    ]


def delete_user(tx: Tx, account_id: str, user_name: str) -> int:
    return tx.execute("DELETE FROM users WHERE account_id = ? AND user_name = ?", (account_id, user_name))


def insert_access_key(tx: Tx, key: AccessKey, wrapped_secret: bytes) -> None:
    tx.execute(
        "INSERT INTO access_keys (access_key_id, account_id, user_name, wrapped_secret, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (key.access_key_id, key.account_id, key.user_name, wrapped_secret, key.status.value, key.created_at),
    )


def get_access_key(tx: Tx, access_key_id: str) -> tuple[AccessKey, bytes] | None:
    row = tx.one("SELECT * FROM access_keys WHERE access_key_id = ?", (access_key_id,))
    return None if row is None else (_access_key(row), bytes(row["wrapped_secret"]))


def list_access_keys(tx: Tx, account_id: str, user_name: str | None) -> list[AccessKey]:
    if user_name is None:
        rows = tx.all(
            "SELECT * FROM access_keys WHERE account_id = ? AND user_name IS NULL ORDER BY created_at",
            (account_id,),
        )
    else:
        rows = tx.all(
            "SELECT * FROM access_keys WHERE account_id = ? AND user_name = ? ORDER BY created_at",
            (account_id, user_name),
        )
    return [_access_key(r) for r in rows]


def set_access_key_status(tx: Tx, access_key_id: str, status: AccessKeyStatus) -> int:
    return tx.execute(
        "UPDATE access_keys SET status = ? WHERE access_key_id = ?", (status.value, access_key_id)
    )


def delete_access_key(tx: Tx, access_key_id: str) -> int:
    return tx.execute("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))


def upsert_policy(tx: Tx, account_id: str, name: str, description: str, document: str, now: int) -> None:
    tx.execute(
        "INSERT INTO policies (account_id, policy_name, description, document, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, policy_name) DO UPDATE SET "
        "description = excluded.description, document = excluded.document, updated_at = excluded.updated_at",
        (account_id, name, description, document, now, now),
    )


def get_policy(tx: Tx, account_id: str, name: str) -> Row | None:
    return tx.one("SELECT * FROM policies WHERE account_id = ? AND policy_name = ?", (account_id, name))


def list_policies(tx: Tx, account_id: str) -> list[Row]:
    return tx.all("SELECT * FROM policies WHERE account_id = ? ORDER BY policy_name", (account_id,))


def delete_policy(tx: Tx, account_id: str, name: str) -> int:
    return tx.execute("DELETE FROM policies WHERE account_id = ? AND policy_name = ?", (account_id, name))


def attach(tx: Tx, account_id: str, policy: str, user_name: str, now: int) -> int:
    return tx.execute(
        "INSERT INTO policy_attachments (account_id, policy_name, user_name, attached_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (account_id, policy_name, user_name) DO NOTHING",
        (account_id, policy, user_name, now),
    )


def detach(tx: Tx, account_id: str, policy: str, user_name: str) -> int:
    return tx.execute(
        "DELETE FROM policy_attachments WHERE account_id = ? AND policy_name = ? AND user_name = ?",
        (account_id, policy, user_name),
    )


def attachments_of_policy(tx: Tx, account_id: str, policy: str) -> list[str]:
    rows = tx.all(
        "SELECT user_name FROM policy_attachments WHERE account_id = ? AND policy_name = ? ORDER BY user_name",
        (account_id, policy),
    )
    return [r["user_name"] for r in rows]


def policies_of_user(tx: Tx, account_id: str, user_name: str) -> list[Row]:
    return tx.all(
        "SELECT p.* FROM policies p JOIN policy_attachments a "
        "ON a.account_id = p.account_id AND a.policy_name = p.policy_name "
        "WHERE a.account_id = ? AND a.user_name = ? ORDER BY p.policy_name",
        (account_id, user_name),
    )
