"""Vigil under test: ``vigil serve`` on SQLite in a fresh data dir, driven like the official Alibaba SDK.

Each request is signed by ``vigil.client.acs3_headers`` with its own ``x-acs-signature-nonce`` and
laid out as WIRE.md §1.2 shows the SDK sending it: parameters in the query, Decrypt and
GetSecretValue with the form content type and an empty body (they have a body dict for
``Recipient``), Encrypt without one. GetSecretValue is the call alibabacloud-secretsmanager-client-v2
makes (WIRE.md §6), with its user agent.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import time
from collections.abc import Collection, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from processes import Child, free_port, spawn, venv_command, wait_ready
from wire import Header, Reply, raw_request, send_one

from systems import CRYPTO, PLAINTEXT_B64, SECRET_NAME, SECRET_TEXT, BadReply, Operation
from vigil.client import KMS, acs3_headers

# Sent and signed by alibabacloud-tea-openapi; signed here too so the server hashes what it would for the SDK.
_SDK_USER_AGENT = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"
_CACHING_CLIENT_USER_AGENT = f"{_SDK_USER_AGENT} alibabacloud-secretsmanager-client-python-v2/2.0.0/2.0.0"
_FORM = "application/x-www-form-urlencoded"
# The caching client's query, in the SDK's (alphabetical) order, as captured in WIRE.md §6.
_GET_SECRET_VALUE = {"FetchExtendedConfig": "True", "SecretName": SECRET_NAME, "VersionStage": "ACSCurrent"}


class VigilSystem:
    single_use = True

    def __init__(self, workers: int = 1, *, audit: bool | None = None) -> None:
        """``audit`` True or False runs the server with VIGIL_AUDIT=on or off and says so in the
        name; None leaves the server's default (on) and the name as it was."""
        self.workers = workers
        self.audit = audit
        label = "" if audit is None else f", audit {'on' if audit else 'off'}"
        self.name = f"Vigil ({workers} worker{'s' if workers > 1 else ''}{label})"
        self._access_key_id = "BenchRoot" + secrets.token_hex(8)
        self._secret = secrets.token_urlsafe(24)
        self._child: Child | None = None
        self._port = 0
        self._key_id = ""
        self._ciphertext = ""
        self._data_dir = Path()

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
        if self.audit is not None:
            env["VIGIL_AUDIT"] = "on" if self.audit else "off"
        argv = [venv_command("vigil"), "serve", "--host", "127.0.0.1", "--port", str(self._port)]
        argv += ["--data-dir", str(workdir / "data"), "--workers", str(self.workers)]
        self._child = spawn("vigil", argv, workdir, env)
        self._data_dir = workdir / "data"
        wait_ready(self._child, f"http://127.0.0.1:{self._port}/healthz")

    def unindexed_bytes(self) -> int:
        """Audit journal bytes the server has not indexed yet (every segment's size less the
        offset the indexers committed), read from the data directory."""
        journal = self._data_dir / "audit-journal"
        with sqlite3.connect(f"file:{self._data_dir / 'vigil.db'}?mode=ro", uri=True) as db:
            done = dict(db.execute("SELECT segment, indexed_bytes FROM audit_journal").fetchall())
        behind = 0
        for segment in journal.glob("*.jsonl"):
            try:
                behind += max(0, segment.stat().st_size - int(done.get(segment.name, 0)))
            except FileNotFoundError:
                continue
        return behind

    def settle(self, timeout_s: float = 300.0) -> float | None:
        """With the audit trail on, wait until the indexer has caught up with everything the
        measurement journalled (it waits while the machine is saturated); the seconds it took.
        None when there is nothing to wait for."""
        if not self.audit:
            return None
        started = time.monotonic()
        while self.unindexed_bytes() > 0:
            if time.monotonic() - started > timeout_s:
                raise RuntimeError(f"the audit indexer did not catch up within {timeout_s:.0f} s")
            time.sleep(0.05)
        return time.monotonic() - started

    def prepare(self, operations: Collection[Operation]) -> None:
        if CRYPTO & set(operations):
            created = self._call(
                "CreateKey",
                {"Description": "bench", "KeySpec": "Aliyun_AES_256", "KeyUsage": "ENCRYPT/DECRYPT"},
            )
            self._key_id = created["KeyMetadata"]["KeyId"]
            sealed = self._call("Encrypt", {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64})
            self._ciphertext = sealed["CiphertextBlob"]
        if Operation.GET_SECRET_VALUE in operations:
            query = {"SecretDataType": "text", "SecretName": SECRET_NAME, "SecretType": "Generic"}
            self._call("CreateSecret", query, form={"SecretData": SECRET_TEXT})

    def _call(self, action: str, query: Mapping[str, str], form: Mapping[str, str] | None = None) -> Any:
        """One signed call during set-up; ``form`` goes in the body, as the SDK sends SecretData."""
        body = urlencode(form).encode() if form is not None else b""
        content_type = _FORM if form is not None else None
        reply = send_one(self._port, self._signed(action, query, content_type, _SDK_USER_AGENT, body))
        answer = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"Vigil {action}: HTTP {reply.status} {answer}")
        return answer

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        if operation is Operation.ENCRYPT:
            query, content_type = {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64}, None
        elif operation is Operation.DECRYPT:
            query, content_type = {"CiphertextBlob": self._ciphertext}, _FORM
        else:
            query, content_type = _GET_SECRET_VALUE, _FORM
        agent = _CACHING_CLIENT_USER_AGENT if operation is Operation.GET_SECRET_VALUE else _SDK_USER_AGENT
        return [self._signed(operation.value, query, content_type, agent) for _ in range(count)]

    def _signed(
        self,
        action: str,
        query: Mapping[str, str],
        content_type: str | None,
        user_agent: str,
        body: bytes = b"",
    ) -> bytes:
        """One raw request, signed with its own nonce and laid out as the SDK sends it."""
        signed = acs3_headers(
            "POST",
            f"127.0.0.1:{self._port}",
            query,
            action,
            KMS,
            self._access_key_id,
            self._secret,
            body=body,
            content_type=content_type,
            extra_headers={"user-agent": user_agent, "x-acs-credentials-provider": "static_ak"},
        )
        return raw_request("POST", "/?" + urlencode(query), _sdk_headers(signed), body)

    def check(self, operation: Operation, reply: Reply) -> None:
        body = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"Vigil {operation}: HTTP {reply.status} {body}")
        if operation is Operation.ENCRYPT and not body.get("CiphertextBlob"):
            raise BadReply(f"Vigil Encrypt returned no CiphertextBlob: {body}")
        if operation is Operation.DECRYPT and body.get("Plaintext") != PLAINTEXT_B64:
            raise BadReply(f"Vigil Decrypt returned the wrong plaintext: {body}")
        if operation is Operation.GET_SECRET_VALUE and (
            body.get("SecretData") != SECRET_TEXT
            or body.get("SecretDataType") != "text"  # the caching client refuses anything else
            or "ACSCurrent" not in body.get("VersionStages", {}).get("VersionStage", [])
        ):
            raise BadReply(f"Vigil GetSecretValue returned the wrong value: {body}")

    def version(self) -> str:
        return f"vigil {version('vigil')}{_git_revision()}"


def _sdk_headers(signed: dict[str, str]) -> list[Header]:
    """The signed headers in the order and spelling the SDK puts them on the wire (WIRE.md §10)."""
    headers: list[Header] = [("Accept-Encoding", "identity")]
    headers += [(name, signed[name]) for name in ("host", "x-acs-version", "x-acs-action")]
    headers.append(("user-agent", signed["user-agent"]))
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
