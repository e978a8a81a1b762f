"""What a bare term sees of a record: its words, lower-cased and split at ASCII punctuation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vigil.audit.fulltext import MAX_SEARCH_CHARS, search_text, words
from vigil.audit.model import AuditRecord

RECORD = AuditRecord(
    event_id="0190f4c2-7a1e-7c3d-9f00-123456789abc",
    account_id="1234567890123456",
    event_time_ms=0,
    service_name="Kms",
    event_name="GetSecretValue",
    event_rw="Read",
    event_type="ApiCall",
    event_source="kms.cn-hangzhou.aliyuncs.com",
    request_id="7F3A-REQUEST",
    acs_region="cn-hangzhou",
    source_ip="10.0.3.17",
    user_agent="",
    identity_type="ram-user",
    principal_id="",
    user_name="alice",
    access_key_id="",
    resource_type="ACS::KMS::Secret",
    resource_name="prod/SecretName",
    request_parameters={"SecretName": "prod/SecretName", "Nested": {"List": ["A_b", 7, True, None]}},
    response_elements={"SecretData": "******", "Blob": "Q" * 101},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key-szz63dc8c429ermur4f8a", ["key", "szz63dc8c429ermur4f8a"]),
        ("Rejected.Disabled", ["rejected", "disabled"]),
        ("ACS::KMS::Key", ["acs", "kms", "key"]),
        ("under_score%and'quote", ["under", "score", "and", "quote"]),
        ("生产环境 主密钥", ["生产环境", "主密钥"]),
        ("Ünïcode", ["ünïcode"]),
        ("***", []),
        ("x" * 101 + " y", ["y"]),
    ],
    ids=[
        "key-id",
        "error-code",
        "resource-type",
        "sql-characters",
        "chinese",
        "accents-kept",
        "stars",
        "too-long",
    ],
)
def test_words_split_at_ascii_punctuation(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_search_text_holds_values_not_keys_with_a_space_at_either_end() -> None:
    text = search_text(RECORD)
    assert text.startswith(" getsecretvalue kms kms cn hangzhou aliyuncs com ")
    assert text.endswith(" ")
    assert " prod secretname " in text
    assert " a b 7 " in text
    assert "nested" not in text and "list" not in text


def test_search_text_leaves_out_ids_flags_and_blobs() -> None:
    text = search_text(RECORD)
    assert "0190f4c2" not in text
    assert "request" not in text
    assert " true " not in text
    assert "qqqq" not in text


def test_search_text_is_cut_at_a_word() -> None:
    long = replace(RECORD, request_parameters={"Description": "abcdefghi " * 1000})
    text = search_text(long)
    assert len(text) <= MAX_SEARCH_CHARS + 2
    assert text.endswith(" abcdefghi ")
