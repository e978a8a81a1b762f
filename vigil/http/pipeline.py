"""The request pipeline every dialect runs a call through: authorise, execute, check.

Authentication happens in the dialect (each has its own signature scheme) and yields
the principal in the CallContext; from there every dialect shares this path.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread

from vigil.errors import Internal
from vigil.http.calls import CallContext, Operation


async def execute(op: Operation, ctx: CallContext, params: Any) -> dict[str, Any]:
    """Run the operation, in a worker thread when it touches storage."""
    if op.blocking:
        return await anyio.to_thread.run_sync(_invoke, op, ctx, params)
    return _invoke(op, ctx, params)


def _invoke(op: Operation, ctx: CallContext, params: Any) -> dict[str, Any]:
    if op.resource is not None:
        ctx.authorize(op.resource(ctx, params))
    result = op.handler(ctx, params)
    if not ctx.authorized:
        raise Internal(f"{op.service}:{op.name} completed without an authorisation check")
    return result
