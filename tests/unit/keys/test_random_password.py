"""GetRandomPassword: length limits, character classes, exclusions and unbiased choice."""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.errors import InvalidArgument
from vigil.keys.crypto import PUNCTUATION, SystemRandom, random_password
from vigil.testing import SeededRandom

CLASSES = {
    "lowercase": string.ascii_lowercase,
    "uppercase": string.ascii_uppercase,
    "numbers": string.digits,
    "punctuation": PUNCTUATION,
}
PROPERTIES = settings(database=None, max_examples=300)


def test_punctuation_is_the_ascii_printable_punctuation() -> None:
    assert PUNCTUATION == "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


@pytest.mark.parametrize("length", [8, 32, 128], ids=["minimum", "default", "maximum"])
def test_password_has_the_requested_length(length: int) -> None:
    assert len(random_password(length, rng=SystemRandom())) == length


@pytest.mark.parametrize("length", [-1, 0, 7, 129, 4096], ids=["negative", "zero", "seven", "129", "huge"])
def test_password_length_outside_8_to_128_is_rejected(length: int) -> None:
    with pytest.raises(InvalidArgument) as caught:
        random_password(length, rng=SystemRandom())
    assert caught.value.code == "InvalidParameter"
    assert caught.value.message == f"PasswordLength must be between 8 and 128, got {length}"


EMPTY_ALPHABETS = [
    {
        "exclude_lowercase": True,
        "exclude_uppercase": True,
        "exclude_numbers": True,
        "exclude_punctuation": True,
    },
    {"exclude_characters": string.ascii_letters + string.digits + PUNCTUATION},
    {
        "exclude_lowercase": True,
        "exclude_uppercase": True,
        "exclude_punctuation": True,
        "exclude_characters": string.digits,
    },
]


@pytest.mark.parametrize(
    "options", EMPTY_ALPHABETS, ids=["all-flags", "all-characters", "flags-and-characters"]
)
def test_excluding_everything_is_rejected_naming_exclude_characters(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument, match=r"^ExcludeCharacters"):
        random_password(32, rng=SystemRandom(), **options)


def test_same_random_source_gives_the_same_password() -> None:
    assert random_password(32, rng=SeededRandom(b"s")) == random_password(32, rng=SeededRandom(b"s"))
    assert random_password(32, rng=SeededRandom(b"s")) != random_password(32, rng=SeededRandom(b"t"))


def test_a_single_allowed_character_fills_the_password() -> None:
    password = random_password(
        12,
        exclude_characters=string.ascii_lowercase[1:],
        exclude_uppercase=True,
        exclude_numbers=True,
        exclude_punctuation=True,
        rng=SystemRandom(),
    )
    assert password == "a" * 12


def test_each_character_is_chosen_about_equally_often() -> None:
    rng = SeededRandom(b"uniform")
    counts = Counter(
        "".join(random_password(128, require_each_included_type=False, rng=rng) for _ in range(400))
    )
    alphabet = string.ascii_letters + string.digits + PUNCTUATION
    assert set(counts) == set(alphabet)
    expected = 128 * 400 / len(alphabet)
    chi_square = sum((counts[c] - expected) ** 2 / expected for c in alphabet)
    assert chi_square < 150  # 93 degrees of freedom; p < 0.0002 above 150


def test_the_guaranteed_characters_do_not_sit_in_fixed_positions() -> None:
    rng = SeededRandom(b"positions")
    first = Counter(
        random_password(8, exclude_uppercase=True, exclude_punctuation=True, rng=rng)[0].isdigit()
        for _ in range(300)
    )
    assert first[True] > 30 and first[False] > 30


@st.composite
def password_requests(draw: st.DrawFn) -> tuple[int, dict[str, bool], str]:
    flags = {name: draw(st.booleans()) for name in CLASSES}
    if all(flags.values()):
        flags[draw(st.sampled_from(sorted(CLASSES)))] = False
    everything = "".join(CLASSES.values())
    excluded = draw(st.text(alphabet=st.sampled_from(everything), max_size=40))
    length = draw(st.integers(min_value=8, max_value=128))
    return length, flags, excluded


def allowed_classes(flags: dict[str, bool], excluded: str) -> dict[str, set[str]]:
    pools = {name: set(chars) - set(excluded) for name, chars in CLASSES.items() if not flags[name]}
    return {name: pool for name, pool in pools.items() if pool}


@PROPERTIES
@given(password_requests(), st.binary(min_size=4, max_size=8), st.booleans())
def test_password_uses_only_allowed_characters(
    request: tuple[int, dict[str, bool], str], seed: bytes, require_each: bool
) -> None:
    length, flags, excluded = request
    pools = allowed_classes(flags, excluded)
    if not pools:
        return
    password = random_password(
        length,
        exclude_characters=excluded,
        exclude_lowercase=flags["lowercase"],
        exclude_uppercase=flags["uppercase"],
        exclude_numbers=flags["numbers"],
        exclude_punctuation=flags["punctuation"],
        require_each_included_type=require_each,
        rng=SeededRandom(seed),
    )
    assert len(password) == length
    assert set(password) <= set().union(*pools.values())
    assert not set(password) & set(excluded)


@PROPERTIES
@given(password_requests(), st.binary(min_size=4, max_size=8))
def test_password_contains_every_included_class_when_required(
    request: tuple[int, dict[str, bool], str], seed: bytes
) -> None:
    length, flags, excluded = request
    pools = allowed_classes(flags, excluded)
    if not pools:
        return
    password = random_password(
        length,
        exclude_characters=excluded,
        exclude_lowercase=flags["lowercase"],
        exclude_uppercase=flags["uppercase"],
        exclude_numbers=flags["numbers"],
        exclude_punctuation=flags["punctuation"],
        rng=SeededRandom(seed),
    )
    for name, pool in pools.items():
        assert set(password) & pool, f"no {name} character in {password!r}"
