"""CSMS error codes for Vigil's error classes (resolved by MRO), and the errors only this dialect raises.

The HTTP status always comes from ``vigil.http.errors``; this table only picks the ``error_code``
a Huawei SDK caller sees. Codes that Huawei documents for CSMS keep their documented meaning
(CSMS.0002 … CSMS.0108); the rest are Vigil's, numbered after their HTTP status.
"""

from __future__ import annotations

from vigil import errors
from vigil.secrets.model import SecretPendingDeletion


class RouteNotFound(errors.NotFound):
    """No CSMS operation is served at this method and path."""


class ProjectNotFound(errors.NotFound):
    """The ``{project_id}`` in the path is not this deployment's project."""


class ProjectMismatch(errors.PermissionDenied):
    """``X-Project-Id`` names a different project than the path does."""


class MalformedBody(errors.InvalidArgument):
    """The request body is not a JSON object."""


class SystemStage(errors.InvalidArgument):
    """SYSCURRENT and SYSPREVIOUS can be moved but not deleted."""


class SecretNotPendingDeletion(errors.FailedPrecondition):
    """RestoreSecret on a secret that is not scheduled for deletion."""


CODES: dict[type[errors.VigilError], str] = {
    RouteNotFound: "CSMS.0003",
    MalformedBody: "CSMS.0004",
    SecretPendingDeletion: "CSMS.0103",
    SystemStage: "CSMS.0105",
    SecretNotPendingDeletion: "CSMS.0108",
    ProjectNotFound: "CSMS.0404",
    errors.AccessKeyNotFound: "APIGW.0301",
    errors.Unauthenticated: "APIGW.0301",
    errors.InvalidArgument: "CSMS.0002",
    errors.NotFound: "CSMS.0005",
    errors.PermissionDenied: "CSMS.0403",
    errors.AlreadyExists: "CSMS.0409",
    errors.FailedPrecondition: "CSMS.0400",
    errors.QuotaExceeded: "CSMS.0413",
    errors.Throttled: "CSMS.0429",
    errors.Unavailable: "CSMS.0503",
    errors.Internal: "CSMS.0500",
}
FALLBACK_CODE = "CSMS.0500"


def csms_code(exc: errors.VigilError) -> str:
    """The CSMS ``error_code`` for an error: the first class of its MRO that the table names."""
    for cls in type(exc).__mro__:
        if cls in CODES:
            return CODES[cls]
    return FALLBACK_CODE
