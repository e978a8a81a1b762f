"""Error classes to HTTP status codes, in one table resolved by MRO."""

from __future__ import annotations

from vigil import errors

STATUS: dict[type[errors.VigilError], int] = {
    errors.InvalidArgument: 400,
    errors.Unauthenticated: 400,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.FailedPrecondition: 400,
    errors.QuotaExceeded: 400,
    errors.Throttled: 429,
    errors.Unavailable: 503,
    errors.Internal: 500,
    errors.VigilError: 500,
}


def status_of(exc: errors.VigilError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500
