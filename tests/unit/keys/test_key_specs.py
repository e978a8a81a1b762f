"""Which key specs, usages and algorithms go together, and how request parameters are parsed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vigil.errors import InvalidArgument
from vigil.keys.specs import (
    Algorithm,
    KeySpec,
    KeyUsage,
    allowed_algorithms,
    allowed_usages,
    is_symmetric,
    parse_algorithm,
    parse_key_spec,
    parse_key_usage,
)

ED = KeyUsage.ENCRYPT_DECRYPT
SV = KeyUsage.SIGN_VERIFY

USAGES = [
    (KeySpec.Aliyun_AES_256, {ED}),
    (KeySpec.Aliyun_AES_128, {ED}),
    (KeySpec.RSA_2048, {ED, SV}),
    (KeySpec.RSA_3072, {ED, SV}),
    (KeySpec.EC_P256, {SV}),
    (KeySpec.EC_P256K, {SV}),
]

RSA_ENCRYPT = {Algorithm.RSAES_OAEP_SHA_256, Algorithm.RSAES_OAEP_SHA_1}
RSA_SIGN = {Algorithm.RSA_PSS_SHA_256, Algorithm.RSA_PKCS1_SHA_256}
ALGORITHMS = [
    (KeySpec.Aliyun_AES_256, ED, set()),
    (KeySpec.Aliyun_AES_128, ED, set()),
    (KeySpec.Aliyun_AES_256, SV, set()),
    (KeySpec.RSA_2048, ED, RSA_ENCRYPT),
    (KeySpec.RSA_2048, SV, RSA_SIGN),
    (KeySpec.RSA_3072, ED, RSA_ENCRYPT),
    (KeySpec.RSA_3072, SV, RSA_SIGN),
    (KeySpec.EC_P256, SV, {Algorithm.ECDSA_SHA_256}),
    (KeySpec.EC_P256K, SV, {Algorithm.ECDSA_SHA_256}),
    (KeySpec.EC_P256, ED, set()),
    (KeySpec.EC_P256K, ED, set()),
]


def test_tag_values_are_the_wire_values() -> None:
    assert [spec.value for spec in KeySpec] == [spec.name for spec in KeySpec]
    assert [usage.value for usage in KeyUsage] == ["ENCRYPT/DECRYPT", "SIGN/VERIFY"]
    assert [algorithm.value for algorithm in Algorithm] == [algorithm.name for algorithm in Algorithm]


@pytest.mark.parametrize(
    ("spec", "symmetric"),
    [(spec, spec.startswith("Aliyun_AES")) for spec in KeySpec],
    ids=[spec.value for spec in KeySpec],
)
def test_only_aes_specs_are_symmetric(spec: KeySpec, symmetric: bool) -> None:
    assert is_symmetric(spec) is symmetric


@pytest.mark.parametrize(("spec", "usages"), USAGES, ids=[spec.value for spec, _ in USAGES])
def test_allowed_usages_follow_the_spec(spec: KeySpec, usages: set[KeyUsage]) -> None:
    assert allowed_usages(spec) == usages


@pytest.mark.parametrize(
    ("spec", "usage", "algorithms"),
    ALGORITHMS,
    ids=[f"{spec.value}-{usage.name}" for spec, usage, _ in ALGORITHMS],
)
def test_allowed_algorithms_follow_spec_and_usage(
    spec: KeySpec, usage: KeyUsage, algorithms: set[Algorithm]
) -> None:
    assert allowed_algorithms(spec, usage) == algorithms


def test_every_algorithm_belongs_to_some_spec() -> None:
    reachable = {
        a for spec in KeySpec for usage in allowed_usages(spec) for a in allowed_algorithms(spec, usage)
    }
    assert reachable == set(Algorithm)


@pytest.mark.parametrize("spec", list(KeySpec), ids=[spec.value for spec in KeySpec])
def test_parse_key_spec_accepts_every_spec(spec: KeySpec) -> None:
    assert parse_key_spec(spec.value) is spec


@pytest.mark.parametrize("usage", list(KeyUsage), ids=[usage.name for usage in KeyUsage])
def test_parse_key_usage_accepts_every_usage(usage: KeyUsage) -> None:
    assert parse_key_usage(usage.value) is usage


@pytest.mark.parametrize("algorithm", list(Algorithm), ids=[a.value for a in Algorithm])
def test_parse_algorithm_accepts_every_algorithm(algorithm: Algorithm) -> None:
    assert parse_algorithm(algorithm.value) is algorithm


PARSE_ERRORS = [
    (parse_key_spec, "AES_256", "KeySpec", "Aliyun_AES_256, Aliyun_AES_128, RSA_2048"),
    (parse_key_spec, "rsa_2048", "KeySpec", "EC_P256, EC_P256K"),
    (parse_key_usage, "ENCRYPT_DECRYPT", "KeyUsage", "ENCRYPT/DECRYPT, SIGN/VERIFY"),
    (parse_key_usage, "", "KeyUsage", "ENCRYPT/DECRYPT, SIGN/VERIFY"),
    (parse_algorithm, "SM2DSA", "Algorithm", "RSAES_OAEP_SHA_256, RSAES_OAEP_SHA_1, RSA_PSS_SHA_256"),
]


@pytest.mark.parametrize(
    ("parse", "text", "parameter", "accepted"),
    PARSE_ERRORS,
    ids=["aws-style-spec", "lowercase-spec", "underscore-usage", "empty-usage", "sm2-algorithm"],
)
def test_parse_rejects_unknown_values_naming_the_parameter_and_choices(
    parse: Callable[[str], object], text: str, parameter: str, accepted: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse(text)
    assert caught.value.code == "InvalidParameter"
    assert caught.value.message.startswith(f"{parameter} {text!r} is not valid")
    assert accepted in caught.value.message
