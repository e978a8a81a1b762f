"""Key specs, key usages and algorithms of the KMS API, and which of them go together.

Pure definitions: the parse_* helpers turn request parameters into these tags.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from vigil.errors import InvalidArgument


class KeySpec(StrEnum):
    Aliyun_AES_256 = "Aliyun_AES_256"
    Aliyun_AES_128 = "Aliyun_AES_128"
    RSA_2048 = "RSA_2048"
    RSA_3072 = "RSA_3072"
    EC_P256 = "EC_P256"
    EC_P256K = "EC_P256K"


class KeyUsage(StrEnum):
    ENCRYPT_DECRYPT = "ENCRYPT/DECRYPT"
    SIGN_VERIFY = "SIGN/VERIFY"


class Algorithm(StrEnum):
    RSAES_OAEP_SHA_256 = "RSAES_OAEP_SHA_256"
    RSAES_OAEP_SHA_1 = "RSAES_OAEP_SHA_1"
    RSA_PSS_SHA_256 = "RSA_PSS_SHA_256"
    RSA_PKCS1_SHA_256 = "RSA_PKCS1_SHA_256"
    ECDSA_SHA_256 = "ECDSA_SHA_256"


_SYMMETRIC = frozenset({KeySpec.Aliyun_AES_256, KeySpec.Aliyun_AES_128})
_RSA = frozenset({KeySpec.RSA_2048, KeySpec.RSA_3072})
_BOTH_USAGES = frozenset(KeyUsage)

_RSA_ALGORITHMS = {
    KeyUsage.ENCRYPT_DECRYPT: frozenset({Algorithm.RSAES_OAEP_SHA_256, Algorithm.RSAES_OAEP_SHA_1}),
    KeyUsage.SIGN_VERIFY: frozenset({Algorithm.RSA_PSS_SHA_256, Algorithm.RSA_PKCS1_SHA_256}),
}
_EC_ALGORITHMS = {KeyUsage.SIGN_VERIFY: frozenset({Algorithm.ECDSA_SHA_256})}
_NONE: frozenset[Algorithm] = frozenset()

_E = TypeVar("_E", bound=StrEnum)


def is_symmetric(spec: KeySpec) -> bool:
    """True for the AES specs, whose material never leaves Vigil in any form."""
    return spec in _SYMMETRIC


def is_rsa(spec: KeySpec) -> bool:
    """True for the RSA specs."""
    return spec in _RSA


def allowed_usages(spec: KeySpec) -> frozenset[KeyUsage]:
    """The usages a key of this spec may be created with."""
    if is_symmetric(spec):
        return frozenset({KeyUsage.ENCRYPT_DECRYPT})
    if is_rsa(spec):
        return _BOTH_USAGES
    return frozenset({KeyUsage.SIGN_VERIFY})


def allowed_algorithms(spec: KeySpec, usage: KeyUsage) -> frozenset[Algorithm]:
    """The asymmetric algorithms a key of this spec and usage accepts; empty for AES keys.

    Symmetric keys take no Algorithm parameter (Encrypt always uses AES-GCM), and a usage
    the spec does not allow also yields the empty set.
    """
    if is_symmetric(spec):
        return _NONE
    table = _RSA_ALGORITHMS if is_rsa(spec) else _EC_ALGORITHMS
    return table.get(usage, _NONE)


def parse_key_spec(text: str) -> KeySpec:
    """The KeySpec named by a request parameter. Raises InvalidArgument naming KeySpec."""
    return _parse(KeySpec, "KeySpec", text)


def parse_key_usage(text: str) -> KeyUsage:
    """The KeyUsage named by a request parameter. Raises InvalidArgument naming KeyUsage."""
    return _parse(KeyUsage, "KeyUsage", text)


def parse_algorithm(text: str) -> Algorithm:
    """The Algorithm named by a request parameter. Raises InvalidArgument naming Algorithm."""
    return _parse(Algorithm, "Algorithm", text)


def _parse(enum: type[_E], parameter: str, text: str) -> _E:
    try:
        return enum(text)
    except ValueError:
        accepted = ", ".join(member.value for member in enum)
        raise InvalidArgument(f"{parameter} {text!r} is not valid; accepted values: {accepted}") from None
