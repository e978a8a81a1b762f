"""SQL for KMS instances."""

from __future__ import annotations

from vigil.instances.model import Instance, Quotas
from vigil.storage.engine import Row, Tx


def _instance(r: Row) -> Instance:
    quotas = Quotas(
        r["key_quota"], r["secret_quota"], r["access_management_quota"], r["log_storage_gb"], r["qps_quota"]
    )
    return Instance(
        r["instance_id"], r["account_id"], r["instance_name"], bool(r["is_default"]), quotas, r["created_at"]
    )


def insert(tx: Tx, inst: Instance) -> None:
    q = inst.quotas
    tx.execute(
        "INSERT INTO kms_instances (instance_id, account_id, instance_name, is_default, key_quota, secret_quota, "
        "access_management_quota, log_storage_gb, qps_quota, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            inst.instance_id,
            inst.account_id,
            inst.name,
            int(inst.is_default),
            q.keys,
            q.secrets,
            q.access_management,
            q.log_storage_gb,
            q.qps,
            inst.created_at,
        ),
    )


def get(tx: Tx, instance_id: str) -> Instance | None:
    row = tx.one("SELECT * FROM kms_instances WHERE instance_id = ?", (instance_id,))
    return None if row is None else _instance(row)


def default_of(tx: Tx, account_id: str) -> Instance | None:
    row = tx.one("SELECT * FROM kms_instances WHERE account_id = ? AND is_default = 1", (account_id,))
    return None if row is None else _instance(row)


def list_all(tx: Tx, account_id: str) -> list[Instance]:
    rows = tx.all("SELECT * FROM kms_instances WHERE account_id = ? ORDER BY created_at", (account_id,))
    return [_instance(r) for r in rows]


def arms(tx: Tx, instance_id: str, quota: str) -> dict[int, bool]:
    rows = tx.all(
        "SELECT threshold, armed FROM quota_arms WHERE instance_id = ? AND quota = ?", (instance_id, quota)
    )
    return {int(r["threshold"]): bool(r["armed"]) for r in rows}


def set_arms(tx: Tx, instance_id: str, quota: str, state: dict[int, bool], now: int) -> None:
    for threshold, armed in state.items():
        tx.execute(
            "INSERT INTO quota_arms (instance_id, quota, threshold, armed, changed_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (instance_id, quota, threshold) DO UPDATE SET armed = excluded.armed, "
            "changed_at = excluded.changed_at WHERE quota_arms.armed <> excluded.armed",
            (instance_id, quota, threshold, int(armed), now),
        )


def disarmed(tx: Tx, quota: str, threshold: int) -> list[str]:
    """The instances whose ``quota`` is at or past ``threshold`` (that threshold is disarmed)."""
    rows = tx.all(
        "SELECT instance_id FROM quota_arms WHERE quota = ? AND threshold = ? AND armed = 0",
        (quota, threshold),
    )
    return [r["instance_id"] for r in rows]
