"""Request authentication: signature, clock skew and nonce replay checks.

The skew check always uses the real wall clock (never the test clock), so SDK calls keep
working after ``AdvanceClock`` moves business time forward.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime

from vigil.dialects.signing import SignatureClaim
from vigil.errors import InvalidArgument, NonceUsed, SignatureDoesNotMatch, TimestampExpired
from vigil.iam.model import Principal
from vigil.iam.service import IamService


class NonceCache:
    """Nonces seen within the skew window, so a captured request cannot be replayed."""

    def __init__(self, window_s: float) -> None:
        self._window_ns = int(window_s * 1e9)
        self._seen: set[str] = set()
        self._order: deque[tuple[int, str]] = deque()
        self._lock = threading.Lock()

    def check_and_add(self, nonce: str) -> bool:
        """True if the nonce is new (and now remembered); False if it was seen in the window."""
        now = time.monotonic_ns()
        with self._lock:
            self._expire(now)
            if nonce in self._seen:
                return False
            self._seen.add(nonce)
            self._order.append((now + 2 * self._window_ns, nonce))
            return True

    def _expire(self, now: int) -> None:
        order = self._order
        while order and order[0][0] < now:
            self._seen.discard(order.popleft()[1])


class Authenticator:
    def __init__(self, iam: IamService, *, skew_s: int = 900) -> None:
        self._iam = iam
        self._skew_s = skew_s
        self._nonces = NonceCache(skew_s)

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
        if claim.nonce and not self._nonces.check_and_add(f"{claim.access_key_id}:{claim.nonce}"):
            raise NonceUsed(f"signature nonce {claim.nonce[:64]!r} has already been used")
        return credentials.principal

    def _check_skew(self, timestamp: datetime) -> None:
        delta = abs(time.time() - timestamp.timestamp())
        if delta > self._skew_s:
            raise TimestampExpired(
                f"request timestamp {timestamp.strftime('%Y-%m-%dT%H:%M:%SZ')} is {int(delta)} s away from "
                f"server time; the limit is {self._skew_s} s"
            )
