"""RAM-style policy parsing and evaluation: wildcards, case rules, deny precedence, clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.iam.policies import Decision, MalformedPolicy, Policy, evaluate, parse_policy

KEY = "acs:kms:cn-hangzhou:1234567890123456:key/key-abc"
OTHER_KEY = "acs:kms:cn-hangzhou:1234567890123456:key/key-xyz"


def policy(*statements: dict[str, Any], name: str = "p") -> Policy:
    return parse_policy(name, json.dumps({"Version": "1", "Statement": list(statements)}))


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


@pytest.mark.parametrize(
    ("statement", "action", "resource", "expected"),
    [
        (allow("kms:Encrypt", KEY), "kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:Encrypt", KEY), "kms:Decrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:Encrypt", KEY), "kms:Encrypt", OTHER_KEY, Decision.IMPLICIT_DENY),
        (allow(["kms:Encrypt", "kms:Decrypt"], KEY), "kms:Decrypt", KEY, Decision.ALLOW),
        (allow("kms:*"), "kms:ScheduleKeyDeletion", KEY, Decision.ALLOW),
        (allow("kms:*"), "vigil:CreateUser", "acs:ram::1234567890123456:user/bob", Decision.IMPLICIT_DENY),
        (allow("*"), "vigil:CreateUser", "acs:ram::1234567890123456:user/bob", Decision.ALLOW),
        (allow("kms:Get*"), "kms:GetPublicKey", KEY, Decision.ALLOW),
        (allow("kms:Get*"), "kms:Encrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:*Key"), "kms:DescribeKey", KEY, Decision.ALLOW),
        (allow("kms:*Key"), "kms:ListKeys", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:?ncrypt"), "kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:?ncrypt"), "kms:ReEncrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("KMS:ENCRYPT"), "kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:encrypt"), "Kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:Encrypt", "acs:kms:*:*:key/*"), "kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:Encrypt", "acs:kms:*:*:key/key-ab?"), "kms:Encrypt", KEY, Decision.ALLOW),
        (allow("kms:Encrypt", "acs:kms:*:*:key/key-ab?"), "kms:Encrypt", KEY + "c", Decision.IMPLICIT_DENY),
        (allow("kms:Encrypt", KEY.upper()), "kms:Encrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:Encrypt", "acs:kms:*:*:KEY/*"), "kms:Encrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:Encrypt", "acs:kms:*:*:key/key-a.c"), "kms:Encrypt", KEY, Decision.IMPLICIT_DENY),
        (allow("kms:Encrypt", "acs:kms:*:*:key/key-a"), "kms:Encrypt", KEY, Decision.IMPLICIT_DENY),
        (deny("kms:Encrypt", KEY), "kms:Encrypt", KEY, Decision.EXPLICIT_DENY),
        (deny("kms:Encrypt", KEY), "kms:Encrypt", OTHER_KEY, Decision.IMPLICIT_DENY),
    ],
    ids=[
        "exact-action-and-resource",
        "other-action",
        "other-resource",
        "action-list",
        "service-wildcard",
        "service-wildcard-other-service",
        "star-matches-any-service",
        "prefix-wildcard",
        "prefix-wildcard-miss",
        "suffix-wildcard",
        "suffix-wildcard-needs-suffix",
        "question-mark-one-character",
        "question-mark-exactly-one",
        "action-upper-case-in-policy",
        "action-case-in-request",
        "resource-wildcards",
        "resource-question-mark",
        "resource-question-mark-not-two",
        "resource-is-case-sensitive",
        "resource-literal-case-sensitive",
        "dot-is-literal-not-regex",
        "resource-must-match-whole",
        "deny-on-match",
        "deny-elsewhere-is-no-allow",
    ],
)
def test_one_statement_decides_by_action_and_resource(
    statement: dict[str, Any], action: str, resource: str, expected: Decision
) -> None:
    assert evaluate([policy(statement)], action, resource) is expected


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        ([], Decision.IMPLICIT_DENY),
        ([[allow("kms:*")], [deny("kms:Encrypt", KEY)]], Decision.EXPLICIT_DENY),
        ([[deny("kms:Encrypt", KEY)], [allow("kms:*")]], Decision.EXPLICIT_DENY),
        ([[allow("kms:*"), deny("kms:Enc*", "acs:kms:*:*:key/*")]], Decision.EXPLICIT_DENY),
        ([[allow("kms:Decrypt")], [allow("kms:Encrypt", KEY)]], Decision.ALLOW),
        ([[allow("kms:Decrypt")], [deny("kms:Decrypt")]], Decision.IMPLICIT_DENY),
        ([[allow("kms:Encrypt", OTHER_KEY)], [deny("kms:Encrypt", OTHER_KEY)], [allow("*")]], Decision.ALLOW),
    ],
    ids=[
        "no-policies-is-implicit-deny",
        "deny-in-a-later-policy-wins",
        "deny-in-an-earlier-policy-wins",
        "deny-in-the-same-policy-wins",
        "allow-from-any-policy",
        "unrelated-deny-and-allow-leave-implicit-deny",
        "deny-on-another-key-does-not-block",
    ],
)
def test_several_policies_combine_with_deny_winning(
    policies: list[list[dict[str, Any]]], expected: Decision
) -> None:
    parsed = [policy(*statements, name=f"p{i}") for i, statements in enumerate(policies)]
    assert evaluate(parsed, "kms:Encrypt", KEY) is expected


def test_a_valid_document_keeps_its_name_and_statements() -> None:
    parsed = parse_policy(
        "readers",
        json.dumps(
            {
                "Version": "1",
                "Statement": [allow(["kms:Decrypt"], KEY) | {"Sid": "read"}, deny("kms:*", OTHER_KEY)],
            }
        ),
    )
    assert parsed.name == "readers"
    assert len(parsed.statements) == 2
    assert [s.effect.value for s in parsed.statements] == ["Allow", "Deny"]


def test_version_may_be_omitted() -> None:
    parsed = parse_policy("p", json.dumps({"Statement": [allow("kms:Encrypt")]}))
    assert evaluate([parsed], "kms:Encrypt", KEY) is Decision.ALLOW


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        ("{not json", "is not valid JSON"),
        ("", "is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "is not valid JSON"),
        ("[]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        (json.dumps({"Version": "2", "Statement": [allow("kms:*")]}), 'Version must be "1"'),
        (json.dumps({"Version": "1"}), "Statement must be a non-empty list"),
        (json.dumps({"Version": "1", "Statement": []}), "Statement must be a non-empty list"),
        (json.dumps({"Version": "1", "Statement": allow("kms:*")}), "Statement must be a non-empty list"),
        (json.dumps({"Statement": ["Allow"]}), "statement 1 must be an object"),
        (
            json.dumps({"Statement": [{"Effect": "Permit", "Action": "kms:*", "Resource": "*"}]}),
            'Effect must be "Allow" or "Deny"',
        ),
        (
            json.dumps({"Statement": [{"Effect": "allow", "Action": "kms:*", "Resource": "*"}]}),
            'Effect must be "Allow" or "Deny"',
        ),
        (
            json.dumps({"Statement": [{"Action": "kms:*", "Resource": "*"}]}),
            'Effect must be "Allow" or "Deny"',
        ),
        (
            json.dumps({"Statement": [allow("kms:*") | {"Condition": {"IpAddress": {}}}]}),
            "unsupported element(s) ['Condition']",
        ),
        (
            json.dumps({"Statement": [allow("kms:*") | {"NotAction": "kms:Encrypt"}]}),
            "unsupported element(s) ['NotAction']",
        ),
        (json.dumps({"Statement": [allow("Encrypt")]}), "Action 'Encrypt' must look like service:Action"),
        (
            json.dumps({"Statement": [allow("kms:Encrypt"), allow(["kms:Decrypt", "Decrypt"])]}),
            "statement 2: Action 'Decrypt' must look like service:Action",
        ),
        (
            json.dumps({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            "Action must be a string or a non-empty list of strings",
        ),
        (json.dumps({"Statement": [allow([])]}), "Action must be a string or a non-empty list of strings"),
        (json.dumps({"Statement": [allow("")]}), "Action must be a string or a non-empty list of strings"),
        (
            json.dumps({"Statement": [allow(["kms:Encrypt", 3])]}),
            "Action must be a string or a non-empty list of strings",
        ),
        (
            json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:*"}]}),
            "Resource must be a string or a non-empty list of strings",
        ),
        (
            json.dumps({"Statement": [allow("kms:*", {"key": "*"})]}),
            "Resource must be a string or a non-empty list of strings",
        ),
    ],
    ids=[
        "not-json",
        "empty",
        "nested-too-deep",
        "array",
        "string",
        "wrong-version",
        "no-statement",
        "empty-statement",
        "statement-not-a-list",
        "statement-not-an-object",
        "unknown-effect",
        "effect-is-case-sensitive",
        "missing-effect",
        "condition-element",
        "not-action-element",
        "action-without-colon",
        "second-statement-named",
        "missing-action",
        "empty-action-list",
        "empty-action-string",
        "non-string-action",
        "missing-resource",
        "resource-object",
    ],
)
def test_a_malformed_document_is_rejected_naming_the_fault(document: str, fault: str) -> None:
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy("ops", document)
    assert fault in caught.value.message
    assert "'ops'" in caught.value.message
    assert caught.value.code == "MalformedPolicyDocument"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_policy_like = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["1", 1, "2", None]),
        "Statement": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "Effect": st.sampled_from(["Allow", "Deny", "allow", "", None]),
                    "Action": st.one_of(
                        st.text(max_size=15), st.lists(st.text(max_size=15), max_size=3), _json_values
                    ),
                    "Resource": st.one_of(
                        st.text(max_size=15), st.lists(st.text(max_size=15), max_size=3), _json_values
                    ),
                    "Sid": _json_values,
                    "Condition": _json_values,
                },
            )
            | _json_values,
            max_size=3,
        )
        | _json_values,
    },
)
_documents = st.one_of(
    st.text(max_size=200),
    _json_values.map(json.dumps),
    _policy_like.map(json.dumps),
    _policy_like.map(lambda d: json.dumps(d)[:-1]),
    st.integers(min_value=1, max_value=50_000).map(lambda n: '{"Statement":' + "[" * n),
)


@given(document=_documents)
def test_parse_policy_raises_only_malformed_policy_on_arbitrary_text(document: str) -> None:
    try:
        parsed = parse_policy("fuzz", document)
    except MalformedPolicy as exc:
        assert exc.message.startswith("policy 'fuzz'")
        return
    assert parsed.statements
    assert evaluate([parsed], "kms:Encrypt", KEY) in set(Decision)
