"""The error tree shared by every layer.

Every error carries a stable API ``code`` (the Alibaba-style code the official SDKs
see, e.g. ``Forbidden.KeyNotFound``) and a ``message`` that names the problem and
never contains a secret value. The HTTP layer maps errors to status codes by MRO
(``vigil.http.errors``); each dialect renders its own error body.

    VigilError
    ├── InvalidArgument            400  bad or missing parameter
    │   └── MissingParameter
    ├── Unauthenticated            400  the caller could not be identified
    │   ├── IncompleteSignature
    │   ├── SignatureDoesNotMatch
    │   ├── TimestampExpired
    │   └── NonceUsed
    ├── PermissionDenied           403  identified, but a policy says no
    ├── NotFound                   404
    │   └── AccessKeyNotFound (also Unauthenticated)
    ├── AlreadyExists              409
    ├── FailedPrecondition         400  the resource is in the wrong state
    ├── QuotaExceeded              400
    ├── Throttled                  429
    ├── Unavailable                503
    └── Internal                   500  reaches the client as a generic message
"""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error Vigil raises on purpose."""

    code = "InternalFailure"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidArgument(VigilError):
    code = "InvalidParameter"


class MissingParameter(InvalidArgument):
    code = "MissingParameter"


class Unauthenticated(VigilError):
    code = "InvalidAuthentication"


class IncompleteSignature(Unauthenticated):
    code = "IncompleteSignature"


class SignatureDoesNotMatch(Unauthenticated):
    code = "SignatureDoesNotMatch"


class TimestampExpired(Unauthenticated):
    code = "InvalidTimeStamp.Expired"


class NonceUsed(Unauthenticated):
    code = "SignatureNonceUsed"


class PermissionDenied(VigilError):
    code = "Forbidden.RAM"


class NotFound(VigilError):
    code = "Forbidden.ResourceNotFound"


class AccessKeyNotFound(NotFound, Unauthenticated):
    code = "InvalidAccessKeyId.NotFound"


class AlreadyExists(VigilError):
    code = "Rejected.ResourceExist"


class FailedPrecondition(VigilError):
    code = "Rejected.UnsupportedOperation"


class QuotaExceeded(VigilError):
    code = "Forbidden.QuotaExceeded"


class Throttled(VigilError):
    code = "Rejected.Throttling"

    def __init__(self, message: str, *, retry_after_ms: int = 1000) -> None:
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class Unavailable(VigilError):
    code = "ServiceUnavailableTemporary"


class Internal(VigilError):
    code = "InternalFailure"
