"""The systems under test: each starts its own server, makes a key and formats raw Encrypt/Decrypt requests.

Every system encrypts the same 32 bytes (a data-key-sized plaintext), sent as each API expects it.
"""

from __future__ import annotations

import base64
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from wire import Reply

PLAINTEXT = bytes(range(32))
PLAINTEXT_B64 = base64.b64encode(PLAINTEXT).decode()


class Operation(StrEnum):
    ENCRYPT = "Encrypt"
    DECRYPT = "Decrypt"


class BadReply(AssertionError):
    """A preflight request got a reply that is not a correct Encrypt/Decrypt answer."""


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
        """Start a fresh server in ``workdir``, wait until it is ready, create a key and a ciphertext."""

    def stop(self) -> None: ...

    def requests(self, operation: Operation, count: int) -> list[bytes]:
        """``count`` raw requests for ``operation``, each distinct if the system is ``single_use``."""

    def check(self, operation: Operation, reply: Reply) -> None:
        """Raises BadReply unless ``reply`` is a correct answer to ``operation``."""

    def version(self) -> str: ...
