"""Key aliases through the official SDK: create, update, delete, list, and use wherever a KeyId goes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import RunningServer

DAY = 86_400


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def create_key(kms: Any, **fields: Any) -> str:
    return str(kms.create_key(models.CreateKeyRequest(**fields)).body.key_metadata.key_id)


def create_alias(kms: Any, alias: str, key_id: str) -> None:
    kms.create_alias(models.CreateAliasRequest(alias_name=alias, key_id=key_id))


def describe(kms: Any, key_ref: str) -> Any:
    return kms.describe_key(models.DescribeKeyRequest(key_id=key_ref)).body.key_metadata


def aliases(kms: Any, **paging: Any) -> Any:
    return kms.list_aliases(models.ListAliasesRequest(**paging)).body


def aliases_of(kms: Any, key_ref: str, **paging: Any) -> Any:
    return kms.list_aliases_by_key_id(models.ListAliasesByKeyIdRequest(key_id=key_ref, **paging)).body


def test_list_aliases_shows_name_arn_and_key_with_paging(server: RunningServer, kms: Any) -> None:
    key_id = create_key(kms)
    create_alias(kms, "alias/payments", key_id)
    body = aliases(kms)
    assert (body.total_count, body.page_number, body.page_size) == (1, 1, 10)
    [alias] = body.aliases.alias
    assert (alias.alias_name, alias.key_id) == ("alias/payments", key_id)
    assert alias.alias_arn == f"acs:kms:cn-hangzhou:{server.account_id}:alias/payments"
    kms.delete_alias(models.DeleteAliasRequest(alias_name="alias/payments"))
    names = {f"alias/app-{n}" for n in range(3)}
    for name in names:
        create_alias(kms, name, key_id)
    pages = [aliases(kms, page_number=n, page_size=2) for n in (1, 2, 3)]
    assert [len(p.aliases.alias) for p in pages] == [2, 1, 0]
    assert [p.total_count for p in pages] == [3, 3, 3]
    assert {a.alias_name for p in pages for a in p.aliases.alias} == names
    for size in (0, 101):
        err = fails(lambda size=size: aliases(kms, page_size=size))
        assert (err.code, err.status_code) == ("InvalidParameter", 400)


def test_list_aliases_by_key_id_shows_only_that_keys_aliases(kms: Any) -> None:
    first, second = create_key(kms), create_key(kms)
    create_alias(kms, "alias/first-a", first)
    create_alias(kms, "alias/first-b", first)
    create_alias(kms, "alias/second", second)
    body = aliases_of(kms, first)
    assert body.total_count == 2
    assert sorted(a.alias_name for a in body.aliases.alias) == ["alias/first-a", "alias/first-b"]
    assert {a.key_id for a in body.aliases.alias} == {first}
    page = aliases_of(kms, "alias/second", page_number=1, page_size=1)
    assert [(a.alias_name, a.key_id) for a in page.aliases.alias] == [("alias/second", second)]
    assert (page.total_count, page.page_size) == (1, 1)


def test_update_alias_points_the_alias_at_another_key(kms: Any) -> None:
    old, new = create_key(kms), create_key(kms)
    create_alias(kms, "alias/current", old)
    kms.update_alias(models.UpdateAliasRequest(alias_name="alias/current", key_id=new))
    assert describe(kms, "alias/current").key_id == new
    sealed = kms.encrypt(models.EncryptRequest(key_id="alias/current", plaintext="aGk=")).body
    assert sealed.key_id == new
    assert aliases_of(kms, old).total_count == 0
    assert [a.alias_name for a in aliases_of(kms, new).aliases.alias] == ["alias/current"]


def test_delete_alias_removes_the_name_but_not_the_key(kms: Any) -> None:
    key_id = create_key(kms)
    create_alias(kms, "alias/temporary", key_id)
    kms.delete_alias(models.DeleteAliasRequest(alias_name="alias/temporary"))
    assert aliases(kms).total_count == 0
    assert describe(kms, key_id).key_state == "Enabled"
    err = fails(lambda: describe(kms, "alias/temporary"))
    assert (err.code, err.status_code) == ("Forbidden.AliasNotFound", 404)


def test_an_alias_works_wherever_a_key_id_is_accepted(kms: Any) -> None:
    symmetric = create_key(kms)
    signing = create_key(kms, key_spec="EC_P256", key_usage="SIGN/VERIFY")
    create_alias(kms, "alias/data", symmetric)
    create_alias(kms, "alias/signer", signing)
    assert describe(kms, "alias/data").key_id == symmetric
    sealed = kms.encrypt(models.EncryptRequest(key_id="alias/data", plaintext="c2VjcmV0")).body
    assert sealed.key_id == symmetric
    opened = kms.decrypt(models.DecryptRequest(ciphertext_blob=sealed.ciphertext_blob)).body
    assert opened.plaintext == "c2VjcmV0"
    data_key = kms.generate_data_key(models.GenerateDataKeyRequest(key_id="alias/data")).body
    assert data_key.key_id == symmetric
    digest = base64.b64encode(hashlib.sha256(b"document").digest()).decode()
    signed = kms.asymmetric_sign(
        models.AsymmetricSignRequest(key_id="alias/signer", algorithm="ECDSA_SHA_256", digest=digest)
    ).body
    assert signed.key_id == signing
    verified = kms.asymmetric_verify(
        models.AsymmetricVerifyRequest(
            key_id="alias/signer", algorithm="ECDSA_SHA_256", digest=digest, value=signed.value
        )
    ).body
    assert verified.value is True
    kms.disable_key(models.DisableKeyRequest(key_id="alias/data"))
    assert describe(kms, symmetric).key_state == "Disabled"


def test_creating_an_alias_that_exists_is_rejected(kms: Any) -> None:
    first, second = create_key(kms), create_key(kms)
    create_alias(kms, "alias/taken", first)
    err = fails(lambda: create_alias(kms, "alias/taken", second))
    assert (err.code, err.status_code) == ("Forbidden.AliasExists", 409)
    assert "alias/taken" in err.message
    assert describe(kms, "alias/taken").key_id == first


def test_bad_alias_names_are_invalid_parameters(kms: Any) -> None:
    key_id = create_key(kms)
    for name in ("payments", "alias/", "alias/has space", "alias/acs/oss", "alias/" + "x" * 256, "alias/é"):
        err = fails(lambda name=name: create_alias(kms, name, key_id))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), name
        assert "AliasName" in err.message
    assert aliases(kms).total_count == 0


def test_unknown_aliases_are_alias_not_found_and_unknown_keys_get_no_alias(kms: Any) -> None:
    key_id = create_key(kms)
    calls = [
        lambda: describe(kms, "alias/nowhere"),
        lambda: kms.encrypt(models.EncryptRequest(key_id="alias/nowhere", plaintext="aGk=")),
        lambda: kms.update_alias(models.UpdateAliasRequest(alias_name="alias/nowhere", key_id=key_id)),
        lambda: kms.delete_alias(models.DeleteAliasRequest(alias_name="alias/nowhere")),
    ]
    for call in calls:
        err = fails(call)
        assert (err.code, err.status_code) == ("Forbidden.AliasNotFound", 404)
        assert "alias/nowhere" in err.message
    err = fails(lambda: create_alias(kms, "alias/orphan", "key-doesnotexist0000000"))
    assert (err.code, err.status_code) == ("Forbidden.KeyNotFound", 404)
    assert aliases(kms).total_count == 0


def test_destroying_a_key_removes_its_aliases(server: RunningServer, kms: Any) -> None:
    key_id = create_key(kms)
    create_alias(kms, "alias/short-lived", key_id)
    kms.schedule_key_deletion(models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert describe(kms, "alias/short-lived").key_state == "PendingDeletion"
    server.advance(7 * DAY + 1)
    assert aliases(kms).total_count == 0
    err = fails(lambda: describe(kms, "alias/short-lived"))
    assert err.code == "Forbidden.AliasNotFound"
