"""POP form decoding agrees with urllib's ``parse_qsl`` on every input, including malformed escapes."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.dialects.alibaba.pop import decode_pairs
from vigil.errors import InvalidArgument

FORM_ALPHABET = st.sampled_from(
    [
        *"ab=&+%\\xX0123456789fF é;_\r\n",
        "%2",
        "%4G",
        "%C3",
        "%A9",
        "%25",
        "%a9",
        "%\n",
        "%\r\n",
        "%%",
        "%=",
        "===",
    ]
)
"""Escapes good and bad, and what quoted-printable decoding reads its own way (=, CR, LF, _)."""


def _reference(text: str) -> list[tuple[str, str]] | None:
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None


@given(st.lists(FORM_ALPHABET, max_size=40).map("".join))
def test_any_text_decodes_as_parse_qsl_does(text: str) -> None:
    expected = _reference(text)
    if expected is None:
        with pytest.raises(InvalidArgument, match="not valid UTF-8 form encoding"):
            decode_pairs(text)
    else:
        assert decode_pairs(text) == expected


@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=60), max_size=6))
def test_encoded_parameters_round_trip(params: dict[str, str]) -> None:
    assert dict(decode_pairs(urlencode(params))) == params
    assert dict(decode_pairs(urlencode(params, quote_via=quote))) == params


def test_a_backslash_in_a_value_survives_next_to_escapes() -> None:
    assert decode_pairs("Events=%5C%5Cx41%5C+a%41\\x41") == [("Events", "\\\\x41\\ aA\\x41")]


def test_bad_utf8_escape_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="not valid UTF-8"):
        decode_pairs("Name=%FF%FE")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Events=%5B%7B%22a%22%3A1%7D%5D", [("Events", '[{"a":1}]')]),  # the quoted-printable path
        ("E=%41%\n", [("E", "A%\n")]),  # a % before a line break: not a soft break
        ("E=%41%\r\n%", [("E", "A%\r\n%")]),
        ("E=%41%4", [("E", "A%4")]),  # a short escape at the end
        ("E=%41%zz_", [("E", "A%zz_")]),
        ("E=%41=%42", [("E", "A=B")]),  # an unescaped = in the value
    ],
)
def test_escapes_next_to_what_quoted_printable_reads_differently(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert decode_pairs(text) == expected == parse_qsl(text, keep_blank_values=True)
