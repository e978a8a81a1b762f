"""SQL for secrets, versions, stages, rotations, consumers and notices."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from vigil.secrets.model import DataType, Secret, SecretState, SecretType, SecretVersion
from vigil.storage.engine import Row, Tx

_SECRET_COLUMNS = (
    "account_id, secret_name, secret_id, instance_id, secret_type, description, encryption_key_id, extended_config, "
    "automatic_rotation, rotation_interval_s, last_rotation_at, next_rotation_at, state, planned_delete_at, "
    "created_at, updated_at, event_subscriptions, enterprise_project_id, rotating_id"
)


def _secret(r: Row) -> Secret:
    return Secret(
        r["account_id"],
        r["secret_name"],
        r["secret_id"],
        r["instance_id"],
        SecretType(r["secret_type"]),
        r["description"],
        r["encryption_key_id"],
        json.loads(r["extended_config"] or "{}"),
        bool(r["automatic_rotation"]),
        r["rotation_interval_s"],
        r["last_rotation_at"],
        r["next_rotation_at"],
        SecretState(r["state"]),
        r["planned_delete_at"],
        r["created_at"],
        r["updated_at"],
        tuple(json.loads(r["event_subscriptions"] or "[]")),
        r["enterprise_project_id"],
        r["rotating_id"],
    )


def _secret_values(s: Secret) -> tuple[Any, ...]:
    return (
        s.account_id,
        s.name,
        s.secret_id,
        s.instance_id,
        s.secret_type.value,
        s.description,
        s.encryption_key_id,
        json.dumps(s.extended_config),
        int(s.automatic_rotation),
        s.rotation_interval_s,
        s.last_rotation_at,
        s.next_rotation_at,
        s.state.value,
        s.planned_delete_at,
        s.created_at,
        s.updated_at,
        json.dumps(list(s.event_subscriptions)),
        s.enterprise_project_id,
        s.rotating_id,
    )


def insert_secret(tx: Tx, secret: Secret) -> None:
    values = _secret_values(secret)
    tx.execute(f"INSERT INTO secrets ({_SECRET_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values)


def update_secret(tx: Tx, s: Secret) -> None:
    tx.execute(
        "UPDATE secrets SET description = ?, encryption_key_id = ?, extended_config = ?, automatic_rotation = ?, "
        "rotation_interval_s = ?, last_rotation_at = ?, next_rotation_at = ?, state = ?, planned_delete_at = ?, "
        "updated_at = ?, event_subscriptions = ?, rotating_id = ? WHERE account_id = ? AND secret_name = ?",
        (
            s.description,
            s.encryption_key_id,
            json.dumps(s.extended_config),
            int(s.automatic_rotation),
            s.rotation_interval_s,
            s.last_rotation_at,
            s.next_rotation_at,
            s.state.value,
            s.planned_delete_at,
            s.updated_at,
            json.dumps(list(s.event_subscriptions)),
            s.rotating_id,
            s.account_id,
            s.name,
        ),
    )


def get_secret(tx: Tx, account_id: str, name: str) -> Secret | None:
    row = tx.one(
        f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE account_id = ? AND secret_name = ?", (account_id, name)
    )
    return None if row is None else _secret(row)


def list_secrets(
    tx: Tx,
    account_id: str,
    filters: Mapping[str, Sequence[str]],
    offset: int,
    limit: int,
    after_name: str | None = None,
) -> tuple[list[Secret], int]:
    """A page of secrets ordered by name, and the total matching the filters."""
    where, params = ["account_id = ?"], [account_id]
    for column, values in filters.items():
        if column == "secret_name_like":
            where.append("(" + " OR ".join("secret_name LIKE ? ESCAPE '\\'" for _ in values) + ")")
            params.extend(f"%{_escape_like(v)}%" for v in values)
        else:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    clause = " AND ".join(where)
    total = tx.one(f"SELECT COUNT(*) AS n FROM secrets WHERE {clause}", params)
    if after_name is not None:
        clause += " AND secret_name > ?"
        params.append(after_name)
    rows = tx.all(
        f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE {clause} ORDER BY secret_name LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_secret(r) for r in rows], 0 if total is None else int(total["n"])


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def delete_secret(tx: Tx, account_id: str, name: str) -> None:
    """Destroy a secret with everything it owns."""
    for table in ("secret_stages", "secret_versions", "secret_consumers", "secrets"):
        tx.execute(f"DELETE FROM {table} WHERE account_id = ? AND secret_name = ?", (account_id, name))


def count_secrets(tx: Tx, instance_id: str) -> int:
    row = tx.one("SELECT COUNT(*) AS n FROM secrets WHERE instance_id = ?", (instance_id,))
    return 0 if row is None else int(row["n"])


def lock_rotation(tx: Tx, account_id: str, name: str, rotation_id: str, until: int, now: int) -> bool:
    """Take the secret's rotation lock unless a live rotation holds it."""
    changed = tx.execute(
        "UPDATE secrets SET rotating_id = ?, rotating_until = ? WHERE account_id = ? AND secret_name = ? "
        "AND (rotating_id IS NULL OR rotating_until < ?)",
        (rotation_id, until, account_id, name, now),
    )
    return changed == 1


def unlock_rotation(tx: Tx, account_id: str, name: str, rotation_id: str) -> None:
    tx.execute(
        "UPDATE secrets SET rotating_id = NULL, rotating_until = NULL "
        "WHERE account_id = ? AND secret_name = ? AND rotating_id = ?",
        (account_id, name, rotation_id),
    )


def due_for_deletion(tx: Tx, now: int, limit: int) -> list[tuple[str, str]]:
    rows = tx.all(
        "SELECT account_id, secret_name FROM secrets WHERE state = ? AND planned_delete_at <= ? "
        "ORDER BY planned_delete_at LIMIT ?",
        (SecretState.PENDING_DELETE.value, now, limit),
    )
    return [(r["account_id"], r["secret_name"]) for r in rows]


def due_for_rotation(tx: Tx, now: int, limit: int) -> list[tuple[str, str]]:
    rows = tx.all(
        "SELECT account_id, secret_name FROM secrets WHERE automatic_rotation = 1 AND next_rotation_at <= ? "
        "AND state = ? ORDER BY next_rotation_at LIMIT ?",
        (now, SecretState.ENABLED.value, limit),
    )
    return [(r["account_id"], r["secret_name"]) for r in rows]


# -- versions and stages ---------------------------------------------------------------------


def _version(r: Row, stages: Sequence[str]) -> SecretVersion:
    return SecretVersion(
        r["version_id"],
        r["seq"],
        r["created_at"],
        DataType(r["data_type"]),
        r["key_id"],
        tuple(stages),
        r["expire_at"],
    )


def insert_version(
    tx: Tx, account_id: str, name: str, version: SecretVersion, sealed_data_key: bytes, sealed_value: bytes
) -> None:
    tx.execute(
        "INSERT INTO secret_versions (account_id, secret_name, version_id, seq, created_at, data_type, key_id, "
        "sealed_data_key, sealed_value, expire_at, expired_recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        (
            account_id,
            name,
            version.version_id,
            version.seq,
            version.created_at,
            version.data_type.value,
            version.key_id,
            sealed_data_key,
            sealed_value,
            version.expire_at,
        ),
    )


def next_seq(tx: Tx, account_id: str, name: str) -> int:
    row = tx.one(
        "SELECT COALESCE(MAX(seq), 0) AS n FROM secret_versions WHERE account_id = ? AND secret_name = ?",
        (account_id, name),
    )
    return 1 + (0 if row is None else int(row["n"]))


def get_version(
    tx: Tx, account_id: str, name: str, version_id: str
) -> tuple[SecretVersion, bytes, bytes] | None:
    row = tx.one(
        "SELECT * FROM secret_versions WHERE account_id = ? AND secret_name = ? AND version_id = ?",
        (account_id, name, version_id),
    )
    if row is None:
        return None
    stages = [s for s, v in get_stages(tx, account_id, name).items() if v == version_id]
    return _version(row, sorted(stages)), bytes(row["sealed_data_key"]), bytes(row["sealed_value"])


def list_versions(tx: Tx, account_id: str, name: str) -> list[SecretVersion]:
    stages = get_stages(tx, account_id, name)
    rows = tx.all(
        "SELECT version_id, seq, created_at, data_type, key_id, expire_at FROM secret_versions "
        "WHERE account_id = ? AND secret_name = ? ORDER BY seq",
        (account_id, name),
    )
    return [_version(r, sorted(s for s, v in stages.items() if v == r["version_id"])) for r in rows]


def delete_version(tx: Tx, account_id: str, name: str, version_id: str) -> None:
    tx.execute(
        "DELETE FROM secret_stages WHERE account_id = ? AND secret_name = ? AND version_id = ?",
        (account_id, name, version_id),
    )
    tx.execute(
        "DELETE FROM secret_versions WHERE account_id = ? AND secret_name = ? AND version_id = ?",
        (account_id, name, version_id),
    )


def set_expiry(tx: Tx, account_id: str, name: str, version_id: str, expire_at: int | None) -> None:
    tx.execute(
        "UPDATE secret_versions SET expire_at = ?, expired_recorded_at = NULL "
        "WHERE account_id = ? AND secret_name = ? AND version_id = ?",
        (expire_at, account_id, name, version_id),
    )


def record_expired(tx: Tx, now: int, limit: int) -> list[tuple[str, str, str]]:
    """Mark versions whose expire time has passed, once; returns (account, secret, version)."""
    rows = tx.all(
        "SELECT account_id, secret_name, version_id FROM secret_versions WHERE expired_recorded_at IS NULL "
        "AND expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?",
        (now, limit),
    )
    found = []
    for r in rows:
        changed = tx.execute(
            "UPDATE secret_versions SET expired_recorded_at = ? WHERE account_id = ? AND secret_name = ? "
            "AND version_id = ? AND expired_recorded_at IS NULL",
            (now, r["account_id"], r["secret_name"], r["version_id"]),
        )
        if changed == 1:
            found.append((r["account_id"], r["secret_name"], r["version_id"]))
    return found


def get_stages(tx: Tx, account_id: str, name: str) -> dict[str, str]:
    rows = tx.all(
        "SELECT stage, version_id FROM secret_stages WHERE account_id = ? AND secret_name = ?",
        (account_id, name),
    )
    return {r["stage"]: r["version_id"] for r in rows}


def replace_stages(tx: Tx, account_id: str, name: str, stages: Mapping[str, str], now: int) -> None:
    """Write the whole stage map, touching only labels that changed."""
    old = get_stages(tx, account_id, name)
    for stage in old.keys() - stages.keys():
        tx.execute(
            "DELETE FROM secret_stages WHERE account_id = ? AND secret_name = ? AND stage = ?",
            (account_id, name, stage),
        )
    for stage, version_id in stages.items():
        if old.get(stage) != version_id:
            tx.execute(
                "INSERT INTO secret_stages (account_id, secret_name, stage, version_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, secret_name, stage) DO UPDATE SET "
                "version_id = excluded.version_id, updated_at = excluded.updated_at",
                (account_id, name, stage, version_id, now),
            )


def stage_updated_at(tx: Tx, account_id: str, name: str, stage: str) -> int | None:
    row = tx.one(
        "SELECT updated_at FROM secret_stages WHERE account_id = ? AND secret_name = ? AND stage = ?",
        (account_id, name, stage),
    )
    return None if row is None else int(row["updated_at"])


# -- rotations -------------------------------------------------------------------------------


def insert_rotation(
    tx: Tx, rotation_id: str, account_id: str, name: str, version_id: str, trigger: str, now: int
) -> None:
    tx.execute(
        "INSERT INTO secret_rotations (rotation_id, account_id, secret_name, version_id, trigger_kind, status, "
        "error_code, error_message, started_at, finished_at) VALUES (?, ?, ?, ?, ?, 'Rotating', '', '', ?, NULL)",
        (rotation_id, account_id, name, version_id, trigger, now),
    )


def finish_rotation(tx: Tx, rotation_id: str, status: str, code: str, message: str, now: int) -> None:
    tx.execute(
        "UPDATE secret_rotations SET status = ?, error_code = ?, error_message = ?, finished_at = ? "
        "WHERE rotation_id = ?",
        (status, code, message, now, rotation_id),
    )


def list_rotations(tx: Tx, account_id: str, name: str | None, limit: int) -> list[Row]:
    if name is None:
        return tx.all(
            "SELECT * FROM secret_rotations WHERE account_id = ? ORDER BY started_at DESC, rotation_id LIMIT ?",
            (account_id, limit),
        )
    return tx.all(
        "SELECT * FROM secret_rotations WHERE account_id = ? AND secret_name = ? "
        "ORDER BY started_at DESC, rotation_id LIMIT ?",
        (account_id, name, limit),
    )


# -- consumers and notices -------------------------------------------------------------------


def put_consumer(tx: Tx, account_id: str, name: str, consumer: str, url: str, now: int) -> None:
    tx.execute(
        "INSERT INTO secret_consumers (account_id, secret_name, consumer_name, webhook_url, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, secret_name, consumer_name) DO UPDATE SET "
        "webhook_url = excluded.webhook_url",
        (account_id, name, consumer, url, now),
    )


def list_consumers(tx: Tx, account_id: str, name: str) -> list[Row]:
    return tx.all(
        "SELECT consumer_name, webhook_url, created_at FROM secret_consumers WHERE account_id = ? "
        "AND secret_name = ? ORDER BY consumer_name",
        (account_id, name),
    )


def delete_consumer(tx: Tx, account_id: str, name: str, consumer: str) -> int:
    return tx.execute(
        "DELETE FROM secret_consumers WHERE account_id = ? AND secret_name = ? AND consumer_name = ?",
        (account_id, name, consumer),
    )


def insert_notice(
    tx: Tx, notice_id: str, account_id: str, name: str, consumer: str, url: str, version_id: str, now: int
) -> None:
    tx.execute(
        "INSERT INTO secret_notices (notice_id, account_id, secret_name, consumer_name, webhook_url, version_id, "
        "status, attempts, last_error, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, 'Pending', 0, '', ?, ?, ?)",
        (notice_id, account_id, name, consumer, url, version_id, now, now, now),
    )


def due_notices(tx: Tx, now: int, limit: int) -> list[Row]:
    return tx.all(
        "SELECT * FROM secret_notices WHERE status = 'Pending' AND next_attempt_at <= ? "
        "ORDER BY next_attempt_at LIMIT ?",
        (now, limit),
    )


def update_notice(
    tx: Tx, notice_id: str, status: str, attempts: int, error: str, next_at: int, now: int
) -> None:
    tx.execute(
        "UPDATE secret_notices SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ?, updated_at = ? "
        "WHERE notice_id = ?",
        (status, attempts, error, next_at, now, notice_id),
    )


def list_notices(tx: Tx, account_id: str, name: str, limit: int) -> list[Row]:
    return tx.all(
        "SELECT * FROM secret_notices WHERE account_id = ? AND secret_name = ? ORDER BY created_at DESC LIMIT ?",
        (account_id, name, limit),
    )
