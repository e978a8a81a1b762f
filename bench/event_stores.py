"""The store under test: a fresh SQLite data directory or a throw-away PostgreSQL database, the
in-process Vigil app over it, and ``vigil serve`` on the same store.

PostgreSQL databases are made as the tests make them (tests/conftest.py): ``CREATE DATABASE`` over
the admin URL, dropped with ``WITH (FORCE)`` when the run ends, whatever happens.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from processes import Child, free_port, spawn, venv_command, wait_ready

from vigil.app import App, build
from vigil.settings import Secret, Settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REGION = "cn-hangzhou"


@dataclass(frozen=True, slots=True)
class StoreUnderTest:
    backend: str  # "sqlite" or "postgresql"
    data_dir: Path
    database_url: str | None
    access_key_id: str
    access_key_secret: str

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=Secret(self.database_url) if self.database_url else None,
            root_access_key_id=self.access_key_id,
            root_access_key_secret=Secret(self.access_key_secret),
            region=REGION,
        )

    def open(self) -> App:
        """The app in this process (migrated, account bootstrapped), without its periodic jobs."""
        return build(self.settings(), start_jobs=False)

    def serve(self, workdir: Path) -> tuple[Child, int]:
        """``vigil serve`` (one worker, its jobs running) on this store; returns the child and its port."""
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")} | {
            "VIGIL_ROOT_ACCESS_KEY_ID": self.access_key_id,
            "VIGIL_ROOT_ACCESS_KEY_SECRET": self.access_key_secret,
            "VIGIL_REGION": REGION,
        }
        if self.database_url:
            env["VIGIL_DATABASE_URL"] = self.database_url
        argv = [venv_command("vigil"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--data-dir", str(self.data_dir), "--workers", "1"]
        child = spawn(f"vigil-{self.backend}", argv, workdir, env)
        try:
            wait_ready(child, f"http://127.0.0.1:{port}/healthz")
        except BaseException:
            child.stop()
            raise
        return child, port


@contextmanager
def fresh_store(backend: str, workdir: Path, admin_url: str = PG_ADMIN_URL) -> Iterator[StoreUnderTest]:
    """A new, empty store; a PostgreSQL database is dropped again when the block ends."""
    ak = "BenchRoot" + secrets.token_hex(8)
    secret = secrets.token_urlsafe(24)
    data_dir = workdir / f"data-{backend}"
    if backend == "sqlite":
        yield StoreUnderTest(backend, data_dir, None, ak, secret)
        return
    with throwaway_database(admin_url) as url:
        yield StoreUnderTest(backend, data_dir, url, ak, secret)


@contextmanager
def throwaway_database(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """A new PostgreSQL database's URL, dropped when the block ends."""
    name = f"vigil_bench_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_facts(url: str) -> dict[str, str]:
    """The server version and the settings that bear on these figures."""
    names = ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "random_page_cost", "jit")
    with psycopg.connect(url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
        facts = {"PostgreSQL": str(version[0]) if version else "unknown"}
        for name in names:
            row = conn.execute(f"SHOW {name}").fetchone()
            facts[f"PostgreSQL {name}"] = str(row[0]) if row else "?"
    return facts


def wait_for_autovacuum(url: str, table: str, timeout_s: float) -> dict[str, Any]:
    """Wait until autovacuum has nothing left to do on ``table`` (analysed and vacuumed after the
    inserts, by its own thresholds), as a production database would be some minutes after a fill.
    Returns what pg_stat_user_tables says, and how long the wait took."""
    started = time.monotonic()
    query = (
        "SELECT n_live_tup, n_mod_since_analyze, n_ins_since_vacuum, last_autoanalyze, last_autovacuum, "
        "(SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'autovacuum:%%' || %s || '%%') AS running "
        "FROM pg_stat_user_tables WHERE relname = %s"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        enabled = conn.execute("SHOW autovacuum").fetchone()
        if enabled is None or enabled[0] != "on":
            return {"autovacuum": "off", "settled": False, "waited_s": 0.0}
        while True:
            row = conn.execute(query, (table, table)).fetchone()
            assert row is not None, f"no table {table}"
            live, mod, ins, analyzed, vacuumed, running = row
            settled = (
                analyzed is not None
                and vacuumed is not None
                and not running
                and mod <= 50 + 0.1 * live
                and ins <= 1000 + 0.2 * live
            )
            waited = time.monotonic() - started
            if settled or waited > timeout_s:
                return {
                    "autovacuum": "on",
                    "settled": settled,
                    "waited_s": round(waited, 1),
                    "last_autoanalyze": str(analyzed),
                    "last_autovacuum": str(vacuumed),
                    "n_live_tup": live,
                }
            time.sleep(2)
