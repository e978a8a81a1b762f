"""Policies decide what a RAM user may do: exact grants, wildcards, explicit denies, aliases and
ciphertexts resolved to key ARNs, and malformed documents refused with the fault named.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from Tea.exceptions import TeaException

from tests.conftest import RunningServer
from vigil.client import VigilApiError, VigilClient


def statement(effect: str, actions: list[str], resource: str) -> dict[str, Any]:
    return {"Effect": effect, "Action": actions, "Resource": resource}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "1", "Statement": list(statements)})


@dataclass(slots=True)
class World:
    """Two keys with aliases and a ciphertext each, made by root, and a RAM user to grant things to."""

    server: RunningServer
    key_a: str
    key_b: str
    blob_a: str
    blob_b: str
    instance: str
    access_key: tuple[str, str]

    @property
    def root(self) -> VigilClient:
        return self.server.client()

    @property
    def user_kms(self) -> Any:
        return self.server.kms(*self.access_key)

    @property
    def user_vigil(self) -> VigilClient:
        return self.server.client(*self.access_key)

    def arn(self, key_id: str) -> str:
        return f"acs:kms:cn-hangzhou:{self.server.account_id}:key/{key_id}"

    def grant(self, name: str, *statements: dict[str, Any]) -> None:
        self.root.vigil("CreatePolicy", {"PolicyName": name, "PolicyDocument": document(*statements)})
        self.root.vigil("AttachPolicyToUser", {"PolicyName": name, "UserName": "worker"})


@pytest.fixture
def world(server: RunningServer) -> World:
    root = server.client()
    keys = [root.call("CreateKey")["KeyMetadata"] for _ in range(2)]
    for alias, key in zip(("alias/a", "alias/b"), keys, strict=True):
        root.call("CreateAlias", {"AliasName": alias, "KeyId": key["KeyId"]})
    blobs = [
        root.call("Encrypt", {"KeyId": k["KeyId"], "Plaintext": "c2VjcmV0"})["CiphertextBlob"] for k in keys
    ]
    root.vigil("CreateUser", {"UserName": "worker"})
    created = root.vigil("CreateAccessKey", {"UserName": "worker"})["AccessKey"]
    return World(
        server,
        keys[0]["KeyId"],
        keys[1]["KeyId"],
        *blobs,
        keys[0]["DKMSInstanceId"],
        (created["AccessKeyId"], created["AccessKeySecret"]),
    )


def forbidden(call: Callable[[], Any]) -> str:
    """The message of the Forbidden.RAM (403) error the call must raise."""
    with pytest.raises((TeaException, VigilApiError)) as caught:
        call()
    error = caught.value
    if isinstance(error, VigilApiError):
        assert (error.status, error.code) == (403, "Forbidden.RAM")
        return error.message
    assert (error.code, error.status_code) == ("Forbidden.RAM", 403)
    return str(error.data["Message"])


def encrypt(w: World, key_ref: str) -> Any:
    return w.user_kms.encrypt(models.EncryptRequest(key_id=key_ref, plaintext="eA=="))


def decrypt(w: World, blob: str) -> Any:
    return w.user_kms.decrypt(models.DecryptRequest(ciphertext_blob=blob))


def test_a_key_scoped_policy_allows_exactly_its_actions_on_exactly_that_key(world: World) -> None:
    w = world
    w.grant(
        "use-a",
        statement("Allow", ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], f"acs:kms:*:*:key/{w.key_a}"),
    )
    assert encrypt(w, w.key_a).body.key_id == w.key_a
    assert decrypt(w, w.blob_a).body.plaintext == "c2VjcmV0"
    assert (
        w.user_kms.describe_key(models.DescribeKeyRequest(key_id=w.key_a)).body.key_metadata.key_id == w.key_a
    )
    assert w.arn(w.key_b) in forbidden(lambda: encrypt(w, w.key_b))
    forbidden(lambda: decrypt(w, w.blob_b))
    forbidden(lambda: w.user_kms.describe_key(models.DescribeKeyRequest(key_id=w.key_b)))
    assert "kms:GenerateDataKey" in forbidden(
        lambda: w.user_kms.generate_data_key(models.GenerateDataKeyRequest(key_id=w.key_a))
    )
    forbidden(lambda: w.user_kms.disable_key(models.DisableKeyRequest(key_id=w.key_a)))
    forbidden(lambda: w.user_kms.list_keys(models.ListKeysRequest()))


CALLS: dict[str, Callable[[World], Any]] = {
    "Encrypt": lambda w: encrypt(w, w.key_a),
    "DescribeKey": lambda w: w.user_kms.describe_key(models.DescribeKeyRequest(key_id=w.key_a)),
    "ListKeys": lambda w: w.user_kms.list_keys(models.ListKeysRequest()),
    "CreateKey": lambda w: w.user_kms.create_key(models.CreateKeyRequest()),
    "GenerateDataKey": lambda w: w.user_kms.generate_data_key(models.GenerateDataKeyRequest(key_id=w.key_a)),
    "GetRandomPassword": lambda w: w.user_kms.get_random_password(models.GetRandomPasswordRequest()),
    "GetKmsInstance": lambda w: w.user_kms.get_kms_instance(
        models.GetKmsInstanceRequest(kms_instance_id=w.instance)
    ),
    "vigil:CreateUser": lambda w: w.user_vigil.vigil("CreateUser", {"UserName": "hired"}),
}


@pytest.mark.parametrize(
    ("actions", "resource", "allowed", "denied"),
    [
        (
            ["kms:*"],
            "*",
            ["Encrypt", "DescribeKey", "ListKeys", "CreateKey", "GetRandomPassword"],
            ["vigil:CreateUser"],
        ),
        (["kms:Get*"], "*", ["GetRandomPassword", "GetKmsInstance"], ["Encrypt", "DescribeKey", "ListKeys"]),
        (["kms:*Key"], "*", ["DescribeKey", "CreateKey", "GenerateDataKey"], ["ListKeys", "Encrypt"]),
        (["kms:?ncrypt"], "acs:kms:*:*:key/*", ["Encrypt"], ["DescribeKey", "GetKmsInstance"]),
        (["KMS:ENCRYPT"], "acs:kms:cn-hangzhou:*:key/key-*", ["Encrypt"], ["GenerateDataKey"]),
        (["vigil:*User"], "acs:ram::*:user/*", ["vigil:CreateUser"], ["Encrypt", "ListKeys"]),
        (["kms:*"], "acs:kms:*:*:KEY/*", [], ["Encrypt", "DescribeKey"]),
    ],
    ids=[
        "kms-star",
        "get-prefix",
        "key-suffix",
        "question-mark",
        "action-case-insensitive",
        "vigil-actions",
        "resource-case-sensitive",
    ],
)
def test_wildcard_actions_grant_every_matching_call_and_nothing_else(
    world: World, actions: list[str], resource: str, allowed: list[str], denied: list[str]
) -> None:
    world.grant("wild", statement("Allow", actions, resource))
    for name in allowed:
        CALLS[name](world)
    for name in denied:
        forbidden(lambda call=CALLS[name]: call(world))


def test_an_explicit_deny_wins_over_an_allow_in_another_policy(world: World) -> None:
    w = world
    w.grant("everything", statement("Allow", ["kms:*"], "*"))
    w.grant("not-a", statement("Deny", ["kms:Decrypt"], f"acs:kms:*:*:key/{w.key_a}"))
    assert "an explicit Deny" in forbidden(lambda: decrypt(w, w.blob_a))
    assert decrypt(w, w.blob_b).body.key_id == w.key_b
    assert encrypt(w, w.key_a).body.key_id == w.key_a


def test_an_alias_is_authorised_as_the_key_it_points_to(world: World) -> None:
    w = world
    w.grant(
        "use-a",
        statement("Allow", ["kms:Encrypt"], f"acs:kms:*:*:key/{w.key_a}"),
        statement("Allow", ["kms:Encrypt"], "acs:kms:*:*:alias/b"),
    )
    assert encrypt(w, "alias/a").body.key_id == w.key_a
    assert w.arn(w.key_b) in forbidden(lambda: encrypt(w, "alias/b"))


def test_decrypt_is_authorised_against_the_key_named_in_the_ciphertext(world: World) -> None:
    w = world
    w.grant("open-a", statement("Allow", ["kms:Decrypt"], f"acs:kms:*:*:key/{w.key_a}"))
    assert decrypt(w, w.blob_a).body.key_id == w.key_a
    message = forbidden(lambda: decrypt(w, w.blob_b))
    assert f"kms:Decrypt on {w.arn(w.key_b)}" in message


def test_a_changed_or_detached_policy_applies_to_the_next_call(world: World) -> None:
    w = world
    w.grant("enc", statement("Allow", ["kms:Encrypt"], "*"))
    encrypt(w, w.key_a)
    w.root.vigil(
        "UpdatePolicy",
        {
            "PolicyName": "enc",
            "PolicyDocument": document(statement("Allow", ["kms:Encrypt"], f"acs:kms:*:*:key/{w.key_b}")),
        },
    )
    forbidden(lambda: encrypt(w, w.key_a))
    encrypt(w, w.key_b)
    w.root.vigil("DetachPolicyFromUser", {"PolicyName": "enc", "UserName": "worker"})
    forbidden(lambda: encrypt(w, w.key_b))


MALFORMED = {
    "not-json": ("{'Statement': oops", "is not valid JSON"),
    "no-statement": ('{"Version": "1"}', "Statement must be a non-empty list"),
    "bad-effect": (
        document({"Effect": "Maybe", "Action": "kms:*", "Resource": "*"}),
        'Effect must be "Allow" or "Deny"',
    ),
    "condition-element": (
        document(statement("Allow", ["kms:*"], "*") | {"Condition": {"Bool": {}}}),
        "unsupported element(s) ['Condition']",
    ),
    "action-without-colon": (
        document(statement("Allow", ["Encrypt"], "*")),
        "Action 'Encrypt' must look like service:Action",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_policy_document_is_refused_naming_the_fault(server: RunningServer, case: str) -> None:
    text, fault = MALFORMED[case]
    with pytest.raises(VigilApiError) as caught:
        server.client().vigil("CreatePolicy", {"PolicyName": "broken", "PolicyDocument": text})
    assert (caught.value.status, caught.value.code) == (400, "MalformedPolicyDocument")
    assert fault in caught.value.message
    assert server.client().vigil("ListPolicies")["Policies"]["Policy"] == []


def test_a_malformed_update_keeps_the_previous_document(world: World) -> None:
    w = world
    w.grant("enc", statement("Allow", ["kms:Encrypt"], "*"))
    with pytest.raises(VigilApiError) as caught:
        w.root.vigil("UpdatePolicy", {"PolicyName": "enc", "PolicyDocument": '{"Statement": []}'})
    assert caught.value.code == "MalformedPolicyDocument"
    assert json.loads(
        w.root.vigil("GetPolicy", {"PolicyName": "enc"})["Policy"]["PolicyDocument"]
    ) == json.loads(document(statement("Allow", ["kms:Encrypt"], "*")))
    encrypt(w, w.key_a)


def test_an_attached_policy_cannot_be_deleted_until_detached(world: World) -> None:
    w = world
    w.grant("enc", statement("Allow", ["kms:Encrypt"], "*"))
    policy = w.root.vigil("GetPolicy", {"PolicyName": "enc"})["Policy"]
    assert policy["AttachedUsers"] == {"UserName": ["worker"]}
    with pytest.raises(VigilApiError) as caught:
        w.root.vigil("DeletePolicy", {"PolicyName": "enc"})
    assert (caught.value.status, caught.value.code) == (400, "DeleteConflict.Policy.User")
    w.root.vigil("DetachPolicyFromUser", {"PolicyName": "enc", "UserName": "worker"})
    w.root.vigil("DeletePolicy", {"PolicyName": "enc"})
    with pytest.raises(VigilApiError) as gone:
        w.root.vigil("GetPolicy", {"PolicyName": "enc"})
    assert (gone.value.status, gone.value.code) == (404, "EntityNotExist.Policy")


def test_a_user_lists_the_policies_attached_to_it_only_when_allowed(world: World) -> None:
    w = world
    w.grant("self-read", statement("Allow", ["vigil:ListPoliciesForUser"], "acs:ram::*:user/worker"))
    listed = w.user_vigil.vigil("ListPoliciesForUser", {"UserName": "worker"})["Policies"]["Policy"]
    assert [p["PolicyName"] for p in listed] == ["self-read"]
    w.root.vigil("CreateUser", {"UserName": "other"})
    forbidden(lambda: w.user_vigil.vigil("ListPoliciesForUser", {"UserName": "other"}))
