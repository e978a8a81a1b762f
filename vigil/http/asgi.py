"""What every raw ASGI endpoint needs: the ASGI types, the bounded body reader and header decoding."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from vigil.errors import InvalidArgument

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 1 << 20


class BodyTooLarge(InvalidArgument):
    code = "InvalidParameter.TooLarge"


async def read_body(receive: Receive, limit: int = MAX_BODY) -> bytes:
    """The whole request body. Raises BodyTooLarge past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


_HEADERS = "vigil.headers"
"""Where ``headers`` keeps its answer in the scope: the audit trail and the endpoint both read it."""


def headers(scope: Scope) -> dict[str, str]:
    """Lower-case names to values (latin-1, as ASGI delivers them); repeated headers joined with ','.
    Made once per request; callers must not change it."""
    known: dict[str, str] | None = scope.get(_HEADERS)
    if known is not None:
        return known
    out: dict[str, str] = {}
    scope[_HEADERS] = out
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out
