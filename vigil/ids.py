"""Identifiers: random ids in the formats the cloud services use."""

from __future__ import annotations

import secrets
import uuid

from vigil.keys.crypto import SystemRandom

_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def random_text(n: int, alphabet: str = _LOWER_ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def key_id() -> str:
    return "key-" + random_text(20)


def instance_id() -> str:
    return "kst-" + random_text(16)


def version_id() -> str:
    return str(uuid.uuid4())


_fast = SystemRandom()


def request_id() -> str:
    """A random UUID, drawn from the buffered CSPRNG (uuid4 makes a system call each time)."""
    return str(uuid.UUID(bytes=_fast.bytes(16), version=4)).upper()


def random_uuid() -> str:
    """A random (version 4) UUID in its usual lower-case form, from the buffered CSPRNG: what
    ``str(uuid.uuid4())`` gives, at less than half the cost (no system call, no UUID object)."""
    h = _fast.bytes(16).hex()
    variant = "89ab"[int(h[16], 16) & 3]  # the two top bits of the clock sequence are 10
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def access_key_id() -> str:
    return "LTAI" + random_text(20, _ALNUM)


def access_key_secret() -> str:
    return random_text(30, _ALNUM)


def account_id() -> str:
    """A 16-digit user id, as Alibaba Cloud accounts have."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def project_id() -> str:
    return uuid.uuid4().hex


def time_ordered_uuid(time_ms: int) -> str:
    """A UUID laid out as version 7 (48 bits of ms time, then random bits): ids made later sort
    later, so a unique index on them grows at its end instead of at a random leaf."""
    return time_ordered_uuids(time_ms, 1)[0]


def time_ordered_uuids(time_ms: int, n: int) -> list[str]:
    """``n`` time-ordered UUIDs of one moment, their random bits drawn in one go.

    Written as text, not computed as a 128-bit integer: the time's 12 hex digits and the version
    digit 7 once, then per id 18 random hex digits and the variant digit (``10`` and two random
    bits: 8, 9, a or b); 74 random bits in all, as ``uuid.UUID`` would print them."""
    h = f"{time_ms & (2**48 - 1):012x}"
    prefix = f"{h[:8]}-{h[8:]}-7"
    hexes = _fast.bytes(10 * n).hex()
    return [
        f"{prefix}{r[:3]}-{_VARIANT[r[3]]}{r[4:7]}-{r[7:19]}"
        for r in (hexes[i : i + 20] for i in range(0, 20 * n, 20))
    ]


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
"""A random hex digit's low two bits under the variant's ``10``: one of 8, 9, a, b."""
