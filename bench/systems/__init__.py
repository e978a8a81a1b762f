"""The systems under test: each starts its own server, prepares what the operations need and formats raw requests.

Every system encrypts the same 32 bytes (a data-key-sized plaintext) and serves the same 64-byte
text secret (a database credential as JSON), each sent and stored as its API expects it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from wire import Reply

PLAINTEXT = bytes(range(32))
PLAINTEXT_B64 = base64.b64encode(PLAINTEXT).decode()

SECRET_NAME = "bench-db-credential"
SECRET_FIELDS = {"AccountName": "bench_app", "AccountPassword": "b3nch-S3cret!Pw#"}
SECRET_TEXT = json.dumps(SECRET_FIELDS, separators=(",", ":"))
assert len(SECRET_TEXT.encode()) == 64, "the benchmark secret is 64 bytes on every system"


class Operation(StrEnum):
    ENCRYPT = "Encrypt"
    DECRYPT = "Decrypt"
    GET_SECRET_VALUE = "GetSecretValue"


CRYPTO = frozenset({Operation.ENCRYPT, Operation.DECRYPT})


class BadReply(AssertionError):
    """A preflight request got a reply that is not a correct answer to its operation."""


class System(Protocol):
    name: str
    single_use: bool
    """True when the server refuses a replayed request, so each pooled request may be sent once."""

    @property
    def port(self) -> int: ...

    @property
    def pid(self) -> int:
        """The server's process, which leads a process group holding any worker processes."""

    def start(self, workdir: Path) -> None:
        """Start a fresh server in ``workdir`` and wait until it is ready."""

    def prepare(self, operations: Collection[Operation]) -> None:
        """Create what ``operations`` need: a key and a ciphertext for Encrypt/Decrypt, the secret for reads."""

    def stop(self) -> None: ...

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        """``count`` raw requests for ``operation``, each distinct if the system is ``single_use``."""

    def check(self, operation: Operation, reply: Reply) -> None:
        """Raises BadReply unless ``reply`` is a correct answer to ``operation``."""

    def version(self) -> str: ...
