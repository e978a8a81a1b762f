"""Vigil under test: ``vigil serve`` on SQLite in a fresh data dir, driven like the official Alibaba SDK.

Each request is signed by ``vigil.client.acs3_headers`` with its own ``x-acs-signature-nonce`` and
laid out as WIRE.md §1.2 shows the SDK sending it: parameters in the query, Decrypt with the
form content type and an empty body (it has a body dict for ``Recipient``), Encrypt without one.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlencode

from processes import Child, free_port, spawn, venv_command, wait_ready
from wire import Header, Reply, raw_request

from systems import PLAINTEXT_B64, BadReply, Operation
from vigil.client import KMS, VigilClient, acs3_headers

# Sent and signed by alibabacloud-tea-openapi; signed here too so the server hashes what it would for the SDK.
_SDK_USER_AGENT = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"
_FORM = "application/x-www-form-urlencoded"


class VigilSystem:
    single_use = True

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.name = f"Vigil ({workers} worker{'s' if workers > 1 else ''})"
        self._access_key_id = "BenchRoot" + secrets.token_hex(8)
        self._secret = secrets.token_urlsafe(24)
        self._child: Child | None = None
        self._port = 0
        self._key_id = ""
        self._ciphertext = ""

    @property
    def port(self) -> int:
        return self._port

    @property
    def pid(self) -> int:
        assert self._child is not None, "not started"
        return self._child.pid

    def start(self, workdir: Path) -> None:
        self._port = free_port()
        # Only our settings: an inherited VIGIL_DATABASE_URL, say, would change what is measured.
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")} | {
            "VIGIL_ROOT_ACCESS_KEY_ID": self._access_key_id,
            "VIGIL_ROOT_ACCESS_KEY_SECRET": self._secret,
        }
        argv = [venv_command("vigil"), "serve", "--host", "127.0.0.1", "--port", str(self._port)]
        argv += ["--data-dir", str(workdir / "data"), "--workers", str(self.workers)]
        self._child = spawn("vigil", argv, workdir, env)
        wait_ready(self._child, f"http://127.0.0.1:{self._port}/healthz")
        client = VigilClient(f"127.0.0.1:{self._port}", self._access_key_id, self._secret)
        try:
            created = client.call(
                "CreateKey",
                {"KeySpec": "Aliyun_AES_256", "KeyUsage": "ENCRYPT/DECRYPT", "Description": "bench"},
            )
            self._key_id = created["KeyMetadata"]["KeyId"]
            sealed = client.call("Encrypt", {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64})
            self._ciphertext = sealed["CiphertextBlob"]
        finally:
            client.close()

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        host = f"127.0.0.1:{self._port}"
        if operation is Operation.ENCRYPT:
            query, content_type = {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64}, None
        else:
            query, content_type = {"CiphertextBlob": self._ciphertext}, _FORM
        target = "/?" + urlencode(query)
        pool = []
        for _ in range(count):
            signed = acs3_headers(
                "POST",
                host,
                query,
                operation.value,
                KMS,
                self._access_key_id,
                self._secret,
                content_type=content_type,
                extra_headers={"user-agent": _SDK_USER_AGENT, "x-acs-credentials-provider": "static_ak"},
            )
            pool.append(raw_request("POST", target, _sdk_headers(signed)))
        return pool

    def check(self, operation: Operation, reply: Reply) -> None:
        body = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"Vigil {operation}: HTTP {reply.status} {body}")
        if operation is Operation.ENCRYPT and not body.get("CiphertextBlob"):
            raise BadReply(f"Vigil Encrypt returned no CiphertextBlob: {body}")
        if operation is Operation.DECRYPT and body.get("Plaintext") != PLAINTEXT_B64:
            raise BadReply(f"Vigil Decrypt returned the wrong plaintext: {body}")

    def version(self) -> str:
        return f"vigil {version('vigil')}{_git_revision()}"


def _sdk_headers(signed: dict[str, str]) -> list[Header]:
    """The signed headers in the order and spelling the SDK puts them on the wire (WIRE.md §10)."""
    headers: list[Header] = [("Accept-Encoding", "identity")]
    headers += [(name, signed[name]) for name in ("host", "x-acs-version", "x-acs-action")]
    headers.append(("user-agent", _SDK_USER_AGENT))
    headers += [(name, signed[name]) for name in ("x-acs-date", "x-acs-signature-nonce", "accept")]
    if "content-type" in signed:
        headers.append(("content-type", signed["content-type"]))
    headers.append(("x-acs-content-sha256", signed["x-acs-content-sha256"]))
    headers.append(("x-acs-credentials-provider", "static_ak"))
    headers.append(("Authorization", signed["authorization"]))
    return headers


def _git_revision() -> str:
    """`` (git abc1234)``, with ``+dirty`` for uncommitted changes; empty outside a checkout."""
    repo = Path(__file__).resolve().parents[2]
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return ""
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--", "vigil"], capture_output=True, text=True
    ).stdout.strip()
    return f" (git {head.stdout.strip()}{'+dirty' if dirty else ''})"
