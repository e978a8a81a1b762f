"""Where the CLI finds its endpoint and credentials: flags, environment, config file, data dir."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import click

from vigil.client import VigilClient

DEFAULT_ENDPOINT = "http://127.0.0.1:8200"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "vigil" / "config.json"


@dataclass(slots=True)
class Target:
    endpoint: str | None
    access_key_id: str | None
    access_key_secret: str | None
    data_dir: Path | None

    def client(self) -> VigilClient:
        """A client from the first source that has credentials. Raises click.UsageError if none does."""
        endpoint, ak, secret = self.endpoint, self.access_key_id, self.access_key_secret
        saved = _read_json(config_path())
        endpoint = endpoint or saved.get("Endpoint")
        if not (ak and secret) and saved.get("AccessKeyId"):
            ak, secret = saved.get("AccessKeyId"), saved.get("AccessKeySecret")
        if not (ak and secret) and self.data_dir is not None:
            local = _read_json(self.data_dir / "root-credentials.json")
            ak, secret = local.get("AccessKeyId"), local.get("AccessKeySecret")
        if not (ak and secret):
            raise click.UsageError(
                "no credentials: pass --access-key-id/--access-key-secret, set VIGIL_ACCESS_KEY_ID and "
                "VIGIL_ACCESS_KEY_SECRET, run 'vigil configure', or point --data-dir at the server's data directory"
            )
        client = VigilClient(endpoint or DEFAULT_ENDPOINT, ak, secret)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(client.close)  # no socket outlives the command
        return client


def save(endpoint: str, access_key_id: str, access_key_secret: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(
            {"Endpoint": endpoint, "AccessKeyId": access_key_id, "AccessKeySecret": access_key_secret}, fh
        )
    os.chmod(path, 0o600)
    return path


def _read_json(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
