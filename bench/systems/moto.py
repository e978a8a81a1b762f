"""moto's server under test: KMS Encrypt/Decrypt and Secrets Manager GetSecretValue in the AWS JSON protocol.

Requests are signed with botocore's SigV4 as boto3 sends them. SigV4 has no nonce and moto checks
no signatures, so a small signed pool is replayed round-robin.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from processes import Child, free_port, spawn, venv_command, wait_ready
from wire import Reply, raw_request

from systems import CRYPTO, PLAINTEXT, PLAINTEXT_B64, SECRET_NAME, SECRET_TEXT, BadReply, Operation

_REGION = "us-east-1"
_CREDENTIALS = Credentials("AKIABENCHMARK000000", "bench-secret-access-key")
# The signing name and X-Amz-Target prefix of each operation's service.
_SERVICE = {
    Operation.ENCRYPT: ("kms", "TrentService"),
    Operation.DECRYPT: ("kms", "TrentService"),
    Operation.GET_SECRET_VALUE: ("secretsmanager", "secretsmanager"),
}


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

    def prepare(self, operations: Collection[Operation]) -> None:
        if CRYPTO & set(operations):
            kms = self._client("kms")
            key = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")
            self._key_id = key["KeyMetadata"]["KeyId"]
            blob = kms.encrypt(KeyId=self._key_id, Plaintext=PLAINTEXT)["CiphertextBlob"]
            self._ciphertext = base64.b64encode(blob).decode()
        if Operation.GET_SECRET_VALUE in operations:
            self._client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=SECRET_TEXT)

    def _client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self._port}",
            region_name=_REGION,
            aws_access_key_id=_CREDENTIALS.access_key,
            aws_secret_access_key=_CREDENTIALS.secret_key,
        )

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop()

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        payload: dict[str, str]
        if operation is Operation.ENCRYPT:
            payload = {"KeyId": self._key_id, "Plaintext": PLAINTEXT_B64}
        elif operation is Operation.DECRYPT:
            payload = {"CiphertextBlob": self._ciphertext}
        else:
            payload = {"SecretId": SECRET_NAME}  # all that boto3's get_secret_value(SecretId=...) sends
        return [self._signed(operation, json.dumps(payload).encode()) for _ in range(count)]

    def _signed(self, operation: Operation, body: bytes) -> bytes:
        host = f"127.0.0.1:{self._port}"
        service, target = _SERVICE[operation]
        request = AWSRequest(
            method="POST",
            url=f"http://{host}/",
            data=body,
            headers={
                "X-Amz-Target": f"{target}.{operation.value}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        SigV4Auth(_CREDENTIALS, service, _REGION).add_auth(request)
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
        if operation is Operation.GET_SECRET_VALUE and body.get("SecretString") != SECRET_TEXT:
            raise BadReply(f"moto GetSecretValue returned the wrong value: {body}")

    def version(self) -> str:
        return f"moto {version('moto')} (werkzeug {version('werkzeug')}, boto3 {version('boto3')})"
