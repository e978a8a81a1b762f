"""Request authentication: signature, clock skew and nonce replay checks.

The skew check always uses the real wall clock (never the test clock), so SDK calls keep
working after ``AdvanceClock`` moves business time forward.
"""

from __future__ import annotations

import time
from datetime import datetime

from vigil.dialects.signing import SignatureClaim
from vigil.errors import InvalidArgument, NonceUsed, SignatureDoesNotMatch, TimestampExpired
from vigil.iam.model import Principal
from vigil.iam.nonces import NonceTable
from vigil.iam.service import IamService


class Authenticator:
    def __init__(self, iam: IamService, nonces: NonceTable, *, skew_s: int = 900) -> None:
        self._iam = iam
        self._skew_s = skew_s
        self._nonces = nonces

    def authenticate(self, claim: SignatureClaim) -> Principal:
        """The verified principal. Raises the Unauthenticated family of errors."""
        if claim.security_token:
            raise InvalidArgument(
                "STS security tokens are not supported by Vigil; sign with an access key",
                code="InvalidSecurityToken.NotSupported",
            )
        credentials = self._iam.credentials(claim.access_key_id)
        if not claim.verify(credentials.secret):
            raise SignatureDoesNotMatch(
                "the request signature does not match: check your AccessKeySecret and signing method"
            )
        self._check_skew(claim.timestamp)
        remember_until = int(claim.timestamp.timestamp() * 1000) + self._skew_s * 1000
        if claim.nonce and not self._nonces.check_and_add(
            f"{claim.access_key_id}:{claim.nonce}", remember_until
        ):
            raise NonceUsed(f"signature nonce {claim.nonce[:64]!r} has already been used")
        return credentials.principal

    def _check_skew(self, timestamp: datetime) -> None:
        delta = abs(time.time() - timestamp.timestamp())
        if delta > self._skew_s:
            raise TimestampExpired(
                f"request timestamp {timestamp.strftime('%Y-%m-%dT%H:%M:%SZ')} is {int(delta)} s away from "
                f"server time; the limit is {self._skew_s} s"
            )
