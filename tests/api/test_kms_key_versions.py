"""Key versions and rotation through the official SDK: manual versions, automatic rotation on the test clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
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


def parse_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def create_key(kms: Any, **fields: Any) -> Any:
    return kms.create_key(models.CreateKeyRequest(**fields)).body.key_metadata


def describe(kms: Any, key_id: str) -> Any:
    return kms.describe_key(models.DescribeKeyRequest(key_id=key_id)).body.key_metadata


def new_version(kms: Any, key_id: str) -> Any:
    return kms.create_key_version(models.CreateKeyVersionRequest(key_id=key_id)).body.key_version


def list_versions(kms: Any, key_id: str, **paging: Any) -> Any:
    return kms.list_key_versions(models.ListKeyVersionsRequest(key_id=key_id, **paging)).body


def encrypt(kms: Any, key_id: str, plaintext: str) -> Any:
    return kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=plaintext)).body


def decrypt(kms: Any, blob: str) -> Any:
    return kms.decrypt(models.DecryptRequest(ciphertext_blob=blob)).body


def set_rotation(kms: Any, key_id: str, enabled: bool, interval: str | None = None) -> None:
    kms.update_rotation_policy(
        models.UpdateRotationPolicyRequest(
            key_id=key_id, enable_automatic_rotation=enabled, rotation_interval=interval
        )
    )


def test_create_key_version_makes_a_new_primary_version(kms: Any) -> None:
    key = create_key(kms)
    version = new_version(kms, key.key_id)
    assert version.key_id == key.key_id
    assert version.key_version_id not in ("", key.primary_key_version)
    assert parse_date(version.creation_date) >= parse_date(key.creation_date)
    assert describe(kms, key.key_id).primary_key_version == version.key_version_id
    assert encrypt(kms, key.key_id, "bmV3").key_version_id == version.key_version_id


def test_rotation_keeps_old_versions_decryptable(kms: Any) -> None:
    key = create_key(kms)
    old = encrypt(kms, key.key_id, "b2xkIHNlY3JldA==")
    first = new_version(kms, key.key_id)
    second = new_version(kms, key.key_id)
    middle = encrypt(kms, key.key_id, "bWlkZGxl")
    new_version(kms, key.key_id)
    opened_old, opened_middle = decrypt(kms, old.ciphertext_blob), decrypt(kms, middle.ciphertext_blob)
    assert (opened_old.plaintext, opened_old.key_version_id) == ("b2xkIHNlY3JldA==", key.primary_key_version)
    assert (opened_middle.plaintext, opened_middle.key_version_id) == ("bWlkZGxl", second.key_version_id)
    assert first.key_version_id != second.key_version_id


def test_list_key_versions_lists_every_version_with_paging(kms: Any) -> None:
    key = create_key(kms)
    ids = {key.primary_key_version, new_version(kms, key.key_id).key_version_id}
    ids.add(new_version(kms, key.key_id).key_version_id)
    body = list_versions(kms, key.key_id)
    assert (body.total_count, body.page_number, body.page_size) == (3, 1, 10)
    assert {v.key_version_id for v in body.key_versions.key_version} == ids
    for item in body.key_versions.key_version:
        assert item.key_id == key.key_id
        assert parse_date(item.creation_date) >= parse_date(key.creation_date)
    pages = [list_versions(kms, key.key_id, page_number=n, page_size=2) for n in (1, 2, 3)]
    assert [len(p.key_versions.key_version) for p in pages] == [2, 1, 0]
    assert {v.key_version_id for p in pages for v in p.key_versions.key_version} == ids
    assert all(p.total_count == 3 for p in pages)


def test_describe_key_version_returns_the_version_or_key_version_not_found(kms: Any) -> None:
    key = create_key(kms)
    body = kms.describe_key_version(
        models.DescribeKeyVersionRequest(key_id=key.key_id, key_version_id=key.primary_key_version)
    ).body
    assert (body.key_version.key_id, body.key_version.key_version_id) == (key.key_id, key.primary_key_version)
    assert body.key_version.creation_date == key.creation_date
    err = fails(
        lambda: kms.describe_key_version(
            models.DescribeKeyVersionRequest(key_id=key.key_id, key_version_id="no-such-version")
        )
    )
    assert (err.code, err.status_code) == ("Forbidden.KeyVersionNotFound", 404)


def test_automatic_rotation_adds_a_version_when_the_interval_passes(server: RunningServer, kms: Any) -> None:
    key = create_key(kms)
    old = encrypt(kms, key.key_id, "YmVmb3JlIHJvdGF0aW9u")
    set_rotation(kms, key.key_id, True, "7d")
    before = describe(kms, key.key_id)
    assert (before.automatic_rotation, before.rotation_interval) == ("Enabled", "604800s")
    assert parse_date(before.next_rotation_date) - parse_date(before.creation_date) == timedelta(days=7)
    server.advance(7 * DAY + 1)
    after = describe(kms, key.key_id)
    assert list_versions(kms, key.key_id).total_count == 2
    assert after.primary_key_version != key.primary_key_version
    assert parse_date(after.last_rotation_date) >= parse_date(key.creation_date) + timedelta(days=7)
    assert parse_date(after.next_rotation_date) - parse_date(after.last_rotation_date) == timedelta(days=7)
    opened = decrypt(kms, old.ciphertext_blob)
    assert (opened.plaintext, opened.key_version_id) == ("YmVmb3JlIHJvdGF0aW9u", key.primary_key_version)
    assert encrypt(kms, key.key_id, "YWZ0ZXI=").key_version_id == after.primary_key_version


def test_automatic_rotation_waits_for_the_whole_interval(server: RunningServer, kms: Any) -> None:
    key = create_key(kms, enable_automatic_rotation=True, rotation_interval="10d")
    server.advance(9 * DAY)
    assert list_versions(kms, key.key_id).total_count == 1
    server.advance(DAY + 1)
    assert list_versions(kms, key.key_id).total_count == 2


def test_disabling_automatic_rotation_stops_new_versions(server: RunningServer, kms: Any) -> None:
    key = create_key(kms, enable_automatic_rotation=True, rotation_interval="7d")
    set_rotation(kms, key.key_id, False)
    meta = describe(kms, key.key_id)
    assert (meta.automatic_rotation, meta.next_rotation_date) == ("Disabled", "")
    server.advance(30 * DAY)
    assert list_versions(kms, key.key_id).total_count == 1


def test_invalid_rotation_intervals_are_rejected(kms: Any) -> None:
    key_id = create_key(kms).key_id
    for interval in ("1d", "abc", "731d", "7 days", "-7d"):
        err = fails(lambda interval=interval: set_rotation(kms, key_id, True, interval))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), interval
        assert "RotationInterval" in err.message
        err = fails(
            lambda interval=interval: create_key(
                kms, enable_automatic_rotation=True, rotation_interval=interval
            )
        )
        assert err.code == "InvalidParameter", interval
    assert describe(kms, key_id).automatic_rotation == "Disabled"


def test_asymmetric_keys_do_not_take_new_versions_or_rotation(kms: Any) -> None:
    for spec, usage in (("EC_P256", "SIGN/VERIFY"), ("RSA_2048", "ENCRYPT/DECRYPT")):
        key_id = create_key(kms, key_spec=spec, key_usage=usage).key_id
        err = fails(lambda key_id=key_id: new_version(kms, key_id))
        assert (err.code, err.status_code) == ("UnsupportedOperation", 400)
        err = fails(lambda key_id=key_id: set_rotation(kms, key_id, True, "30d"))
        assert (err.code, err.status_code) == ("UnsupportedOperation", 400)
        assert list_versions(kms, key_id).total_count == 1


def test_create_key_version_on_a_disabled_key_is_rejected(kms: Any) -> None:
    key_id = create_key(kms).key_id
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    err = fails(lambda: new_version(kms, key_id))
    assert (err.code, err.status_code) == ("Rejected.Disabled", 400)
    assert list_versions(kms, key_id).total_count == 1
