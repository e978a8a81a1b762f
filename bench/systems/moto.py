"""moto's server under test: KMS Encrypt/Decrypt in the AWS JSON protocol, signed with botocore's SigV4.

SigV4 has no nonce and moto checks no signatures, so a small signed pool is replayed round-robin.
"""

from __future__ import annotations

import base64
import json
from importlib.metadata import version
from pathlib import Path

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from processes import Child, free_port, spawn, venv_command, wait_ready
from wire import Reply, raw_request

from systems import PLAINTEXT, PLAINTEXT_B64, BadReply, Operation

_REGION = "us-east-1"
_CREDENTIALS = Credentials("AKIABENCHMARK000000", "bench-secret-access-key")


class MotoSystem:
    name = "moto"
    single_use = False

    def __init__(self) -> None:
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
        argv = [venv_command("moto_server"), "-H", "127.0.0.1", "-p", str(self._port)]
        self._child = spawn("moto", argv, workdir)
        wait_ready(self._child, f"http://127.0.0.1:{self._port}/moto-api/data.json")
        kms = boto3.client(
            "kms",
            endpoint_url=f"http://127.0.0.1:{self._port}",
            region_name=_REGION,
            aws_access_key_id=_CREDENTIALS.access_key,
            aws_secret_access_key=_CREDENTIALS.secret_key,
        )
        self._key_id = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"][
            "KeyId"
        ]
        blob = kms.encrypt(KeyId=self._key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]
        self._ciphertext = base64.b64encode(blob).decode()

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        if operation is Operation.ENCRYPT:
            payload = {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64}
        else:
            payload = {"CiphertextBlob": self._ciphertext}
        return [self._signed(operation, json.dumps(payload).encode()) for _ in range(count)]

    def _signed(self, operation: Operation, body: bytes) -> bytes:
        host = f"127.0.0.1:{self._port}"
        request = AWSRequest(
            method="POST",
            url=f"http://{host}/",
            data=body,
            headers={
                "X-Amz-Target": f"TrentService.{operation.value}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        SigV4Auth(_CREDENTIALS, "kms", _REGION).add_auth(request)
        headers = [("Host", host), *((k, str(v)) for k, v in request.headers.items())]
        return raw_request("POST", "/", headers, body)

    def check(self, operation: Operation, reply: Reply) -> None:
        body = json.loads(reply.body or b"{}")
        if reply.status != 200:
            raise BadReply(f"moto {operation}: HTTP {reply.status} {body}")
        if operation is Operation.ENCRYPT and not body.get("CiphertextBlob"):
            raise BadReply(f"moto Encrypt returned no CiphertextBlob: {body}")
        if operation is Operation.DECRYPT and body.get("Plaintext") != PLAINTEXT_B64:
            raise BadReply(f"moto Decrypt returned the wrong plaintext: {body}")

    def version(self) -> str:
        return f"moto {version('moto')} (werkzeug {version('werkzeug')}, boto3 {version('boto3')})"
