"""SQL for keys, key versions, aliases and resource tags."""

from __future__ import annotations

from collections.abc import Sequence

from vigil.keys.model import Alias, Key, KeyState, KeyVersion
from vigil.keys.specs import KeySpec, KeyUsage
from vigil.storage.engine import Row, Tx

_KEY_COLUMNS = (
    "key_id, account_id, instance_id, description, key_spec, key_usage, origin, protection_level, state, "
    "creator, created_at, updated_at, delete_date, destroyed_at, primary_version_id, automatic_rotation, "
    "rotation_interval_s, last_rotation_at, next_rotation_at, deletion_protection, deletion_protection_description"
)


def _key(r: Row) -> Key:
    return Key(
        r["key_id"],
        r["account_id"],
        r["instance_id"],
        r["description"],
        KeySpec(r["key_spec"]),
        KeyUsage(r["key_usage"]),
        r["origin"],
        r["protection_level"],
        KeyState(r["state"]),
        r["creator"],
        r["created_at"],
        r["updated_at"],
        r["delete_date"],
        r["destroyed_at"],
        r["primary_version_id"],
        r["automatic_rotation"],
        r["rotation_interval_s"],
        r["last_rotation_at"],
        r["next_rotation_at"],
        bool(r["deletion_protection"]),
        r["deletion_protection_description"],
    )


def _values(k: Key) -> tuple[object, ...]:
    return (
        k.key_id,
        k.account_id,
        k.instance_id,
        k.description,
        k.spec.value,
        k.usage.value,
        k.origin,
        k.protection_level,
        k.state.value,
        k.creator,
        k.created_at,
        k.updated_at,
        k.delete_date,
        k.destroyed_at,
        k.primary_version_id,
        k.automatic_rotation,
        k.rotation_interval_s,
        k.last_rotation_at,
        k.next_rotation_at,
        int(k.deletion_protection),
        k.deletion_protection_description,
    )


def insert_key(tx: Tx, key: Key) -> None:
    marks = ", ".join("?" * len(_values(key)))
    tx.execute(f"INSERT INTO keys ({_KEY_COLUMNS}) VALUES ({marks})", _values(key))


def update_key(tx: Tx, key: Key, expected_updated_at: int) -> bool:
    """Write every mutable column, only if nobody changed the key since it was read (optimistic lock)."""
    changed = tx.execute(
        "UPDATE keys SET description = ?, state = ?, updated_at = ?, delete_date = ?, destroyed_at = ?, "
        "primary_version_id = ?, automatic_rotation = ?, rotation_interval_s = ?, last_rotation_at = ?, "
        "next_rotation_at = ?, deletion_protection = ?, deletion_protection_description = ? WHERE key_id = ? AND updated_at = ?",
        (
            key.description,
            key.state.value,
            key.updated_at,
            key.delete_date,
            key.destroyed_at,
            key.primary_version_id,
            key.automatic_rotation,
            key.rotation_interval_s,
            key.last_rotation_at,
            key.next_rotation_at,
            int(key.deletion_protection),
            key.deletion_protection_description,
            key.key_id,
            expected_updated_at,
        ),
    )
    return changed == 1


def get_key(tx: Tx, key_id: str) -> Key | None:
    row = tx.one(f"SELECT {_KEY_COLUMNS} FROM keys WHERE key_id = ?", (key_id,))
    return None if row is None else _key(row)


def list_keys(
    tx: Tx, account_id: str, filters: dict[str, Sequence[str]], offset: int, limit: int
) -> tuple[list[Key], int]:
    """A page of keys matching the filters (column -> allowed values) and the total count."""
    where, params = ["account_id = ?"], [account_id]
    for column, values in filters.items():
        where.append(f"{column} IN ({', '.join('?' * len(values))})")
        params.extend(values)
    clause = " AND ".join(where)
    total_row = tx.one(f"SELECT COUNT(*) AS n FROM keys WHERE {clause}", params)
    rows = tx.all(
        f"SELECT {_KEY_COLUMNS} FROM keys WHERE {clause} ORDER BY created_at, key_id LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_key(r) for r in rows], 0 if total_row is None else int(total_row["n"])


def count_live_keys(tx: Tx, instance_id: str) -> int:
    """Keys of an instance that count against its quota (every state but Deleted)."""
    row = tx.one(
        "SELECT COUNT(*) AS n FROM keys WHERE instance_id = ? AND state <> ?",
        (instance_id, KeyState.DELETED.value),
    )
    return 0 if row is None else int(row["n"])


def due_for_destruction(tx: Tx, now: int, limit: int) -> list[str]:
    rows = tx.all(
        "SELECT key_id FROM keys WHERE state = ? AND delete_date <= ? ORDER BY delete_date LIMIT ?",
        (KeyState.PENDING_DELETION.value, now, limit),
    )
    return [r["key_id"] for r in rows]


def due_for_rotation(tx: Tx, now: int, limit: int) -> list[str]:
    rows = tx.all(
        "SELECT key_id FROM keys WHERE next_rotation_at IS NOT NULL AND next_rotation_at <= ? "
        "AND automatic_rotation = 'Enabled' ORDER BY next_rotation_at LIMIT ?",
        (now, limit),
    )
    return [r["key_id"] for r in rows]


def insert_version(tx: Tx, version: KeyVersion, wrapped_material: bytes) -> None:
    tx.execute(
        "INSERT INTO key_versions (key_id, version_id, created_at, wrapped_material) VALUES (?, ?, ?, ?)",
        (version.key_id, version.version_id, version.created_at, wrapped_material),
    )


def get_version(tx: Tx, key_id: str, version_id: str) -> tuple[KeyVersion, bytes | None] | None:
    row = tx.one("SELECT * FROM key_versions WHERE key_id = ? AND version_id = ?", (key_id, version_id))
    if row is None:
        return None
    material = row["wrapped_material"]
    return KeyVersion(row["key_id"], row["version_id"], row["created_at"]), (
        None if material is None else bytes(material)
    )


def list_versions(tx: Tx, key_id: str, offset: int, limit: int) -> tuple[list[KeyVersion], int]:
    total = tx.one("SELECT COUNT(*) AS n FROM key_versions WHERE key_id = ?", (key_id,))
    rows = tx.all(
        "SELECT key_id, version_id, created_at FROM key_versions WHERE key_id = ? "
        "ORDER BY created_at, version_id LIMIT ? OFFSET ?",
        (key_id, limit, offset),
    )
    versions = [KeyVersion(r["key_id"], r["version_id"], r["created_at"]) for r in rows]
    return versions, 0 if total is None else int(total["n"])


def destroy_material(tx: Tx, key_id: str) -> int:
    return tx.execute("UPDATE key_versions SET wrapped_material = NULL WHERE key_id = ?", (key_id,))


def insert_alias(tx: Tx, account_id: str, alias: Alias) -> None:
    tx.execute(
        "INSERT INTO aliases (account_id, alias_name, key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        (account_id, alias.alias_name, alias.key_id, alias.created_at, alias.updated_at),
    )


def get_alias(tx: Tx, account_id: str, alias_name: str) -> Alias | None:
    row = tx.one("SELECT * FROM aliases WHERE account_id = ? AND alias_name = ?", (account_id, alias_name))
    return (
        None if row is None else Alias(row["alias_name"], row["key_id"], row["created_at"], row["updated_at"])
    )


def update_alias(tx: Tx, account_id: str, alias_name: str, key_id: str, now: int) -> int:
    return tx.execute(
        "UPDATE aliases SET key_id = ?, updated_at = ? WHERE account_id = ? AND alias_name = ?",
        (key_id, now, account_id, alias_name),
    )


def delete_alias(tx: Tx, account_id: str, alias_name: str) -> int:
    return tx.execute("DELETE FROM aliases WHERE account_id = ? AND alias_name = ?", (account_id, alias_name))


def delete_aliases_of_key(tx: Tx, key_id: str) -> int:
    return tx.execute("DELETE FROM aliases WHERE key_id = ?", (key_id,))


def list_aliases(
    tx: Tx, account_id: str, key_id: str | None, offset: int, limit: int
) -> tuple[list[Alias], int]:
    clause, params = "account_id = ?", [account_id]
    if key_id is not None:
        clause += " AND key_id = ?"
        params.append(key_id)
    total = tx.one(f"SELECT COUNT(*) AS n FROM aliases WHERE {clause}", params)
    rows = tx.all(
        f"SELECT * FROM aliases WHERE {clause} ORDER BY alias_name LIMIT ? OFFSET ?", [*params, limit, offset]
    )
    aliases = [Alias(r["alias_name"], r["key_id"], r["created_at"], r["updated_at"]) for r in rows]
    return aliases, 0 if total is None else int(total["n"])


def set_tags(tx: Tx, resource_type: str, resource_id: str, tags: dict[str, str]) -> None:
    for k, v in tags.items():
        tx.execute(
            "INSERT INTO resource_tags (resource_type, resource_id, tag_key, tag_value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (resource_type, resource_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
            (resource_type, resource_id, k, v),
        )


def remove_tags(tx: Tx, resource_type: str, resource_id: str, tag_keys: Sequence[str]) -> None:
    for k in tag_keys:
        tx.execute(
            "DELETE FROM resource_tags WHERE resource_type = ? AND resource_id = ? AND tag_key = ?",
            (resource_type, resource_id, k),
        )


def get_tags(tx: Tx, resource_type: str, resource_id: str) -> dict[str, str]:
    rows = tx.all(
        "SELECT tag_key, tag_value FROM resource_tags WHERE resource_type = ? AND resource_id = ? ORDER BY tag_key",
        (resource_type, resource_id),
    )
    return {r["tag_key"]: r["tag_value"] for r in rows}
