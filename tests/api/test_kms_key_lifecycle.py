"""Key lifecycle through the official SDK: create, describe, list, enable/disable, deletion windows."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import RunningServer

DAY = 86_400
VALID_PAIRS = [
    ("Aliyun_AES_256", "ENCRYPT/DECRYPT"),
    ("Aliyun_AES_128", "ENCRYPT/DECRYPT"),
    ("RSA_2048", "ENCRYPT/DECRYPT"),
    ("RSA_2048", "SIGN/VERIFY"),
    ("RSA_3072", "ENCRYPT/DECRYPT"),
    ("RSA_3072", "SIGN/VERIFY"),
    ("EC_P256", "SIGN/VERIFY"),
    ("EC_P256K", "SIGN/VERIFY"),
]
INVALID_PAIRS = [
    ("Aliyun_AES_256", "SIGN/VERIFY"),
    ("Aliyun_AES_128", "SIGN/VERIFY"),
    ("EC_P256", "ENCRYPT/DECRYPT"),
    ("EC_P256K", "ENCRYPT/DECRYPT"),
    ("RSA_1024", "ENCRYPT/DECRYPT"),
    ("Aliyun_AES_256", "WRAP/UNWRAP"),
]
METADATA_FIELDS = [
    "arn",
    "automatic_rotation",
    "creation_date",
    "creator",
    "dkmsinstance_id",
    "delete_date",
    "deletion_protection",
    "deletion_protection_description",
    "description",
    "key_id",
    "key_spec",
    "key_state",
    "key_usage",
    "last_rotation_date",
    "material_expire_time",
    "next_rotation_date",
    "origin",
    "primary_key_version",
    "protection_level",
    "rotation_interval",
]


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


def listed_key_ids(kms: Any, **fields: Any) -> list[str]:
    body = kms.list_keys(models.ListKeysRequest(page_size=100, **fields)).body
    return [k.key_id for k in body.keys.key]


def encrypt(kms: Any, key_id: str, plaintext: str = "aGVsbG8=") -> str:
    return kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext=plaintext)).body.ciphertext_blob


def decrypt(kms: Any, blob: str) -> Any:
    return kms.decrypt(models.DecryptRequest(ciphertext_blob=blob)).body


# -- creation ------------------------------------------------------------------------------


def test_create_key_accepts_every_valid_spec_and_usage_pair(kms: Any) -> None:
    for spec, usage in VALID_PAIRS:
        meta = create_key(kms, key_spec=spec, key_usage=usage)
        assert (meta.key_spec, meta.key_usage, meta.key_state) == (spec, usage, "Enabled")
        assert meta.key_id.startswith("key-")
        assert describe(kms, meta.key_id).key_spec == spec
    default = create_key(kms)
    assert (default.key_spec, default.key_usage, default.origin) == (
        "Aliyun_AES_256",
        "ENCRYPT/DECRYPT",
        "Aliyun_KMS",
    )
    assert default.protection_level == "SOFTWARE"


def test_create_key_rejects_a_spec_and_usage_that_do_not_go_together(kms: Any) -> None:
    for spec, usage in INVALID_PAIRS:
        err = fails(lambda spec=spec, usage=usage: create_key(kms, key_spec=spec, key_usage=usage))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), (spec, usage)
    assert "KeySpec" in fails(lambda: create_key(kms, key_spec="RSA_1024")).message
    assert "Origin" in fails(lambda: create_key(kms, origin="EXTERNAL")).message
    assert listed_key_ids(kms) == []


# -- DescribeKey ---------------------------------------------------------------------------


def test_describe_key_returns_every_metadata_field_as_a_string(server: RunningServer, kms: Any) -> None:
    created = create_key(kms, description="payments")
    meta = describe(kms, created.key_id)
    for field in METADATA_FIELDS:
        assert isinstance(getattr(meta, field), str), field
    assert meta.arn == f"acs:kms:cn-hangzhou:{server.account_id}:key/{created.key_id}"
    assert re.fullmatch(r"acs:kms:cn-hangzhou:\d{16}:key/key-[a-z0-9]+", meta.arn)
    assert meta.dkmsinstance_id.startswith("kst-")
    assert (meta.key_state, meta.description, meta.deletion_protection) == ("Enabled", "payments", "Disabled")
    assert meta.primary_key_version == created.primary_key_version != ""
    assert meta.delete_date == ""
    assert meta.automatic_rotation == "Disabled"
    assert abs(parse_date(meta.creation_date) - datetime.now(UTC)) < timedelta(minutes=5)
    assert describe(kms, meta.arn).key_id == created.key_id


def test_describe_key_of_an_unknown_key_is_key_not_found(kms: Any) -> None:
    err = fails(lambda: describe(kms, "key-doesnotexist0000000"))
    assert (err.code, err.status_code) == ("Forbidden.KeyNotFound", 404)
    assert "key-doesnotexist0000000" in err.message


# -- ListKeys ------------------------------------------------------------------------------


def test_list_keys_pages_through_every_key_with_wrappers_and_counts(kms: Any) -> None:
    created = {create_key(kms).key_id for _ in range(3)}
    first = kms.list_keys(models.ListKeysRequest(page_number=1, page_size=2)).body
    second = kms.list_keys(models.ListKeysRequest(page_number=2, page_size=2)).body
    assert (first.page_number, first.page_size, first.total_count) == (1, 2, 3)
    assert (second.page_number, second.page_size, second.total_count) == (2, 2, 3)
    assert len(first.keys.key) == 2 and len(second.keys.key) == 1
    assert {k.key_id for k in first.keys.key + second.keys.key} == created
    for item in first.keys.key:
        assert item.key_arn.endswith(f":key/{item.key_id}")


def test_list_keys_paging_edges_give_empty_pages_or_invalid_parameter(kms: Any) -> None:
    create_key(kms)
    create_key(kms)
    body = kms.list_keys(models.ListKeysRequest(page_number=5, page_size=10)).body
    assert body.keys.key == []
    assert (body.total_count, body.page_number) == (2, 5)
    for size in (0, 101):
        err = fails(lambda size=size: kms.list_keys(models.ListKeysRequest(page_size=size)))
        assert (err.code, err.status_code) == ("InvalidParameter", 400)
        assert "PageSize" in err.message


def test_list_keys_filters_by_key_state(kms: Any) -> None:
    enabled = create_key(kms).key_id
    disabled = create_key(kms).key_id
    kms.disable_key(models.DisableKeyRequest(key_id=disabled))
    only_disabled = json.dumps([{"Key": "KeyState", "Values": ["Disabled"]}])
    both = json.dumps([{"Key": "KeyState", "Values": ["Enabled", "Disabled"]}])
    assert listed_key_ids(kms, filters=only_disabled) == [disabled]
    assert sorted(listed_key_ids(kms, filters=both)) == sorted([enabled, disabled])
    for filters in ('{"Key":"KeyState"}', '[{"Key":"Colour","Values":["red"]}]', "not json"):
        err = fails(lambda filters=filters: kms.list_keys(models.ListKeysRequest(filters=filters)))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), filters
        assert "Filters" in err.message


def test_update_key_description_is_shown_by_describe_key(kms: Any) -> None:
    key_id = create_key(kms, description="old").key_id
    kms.update_key_description(models.UpdateKeyDescriptionRequest(key_id=key_id, description="new text"))
    assert describe(kms, key_id).description == "new text"


def test_a_disabled_key_rejects_cryptography_until_enabled_again(kms: Any) -> None:
    key_id = create_key(kms).key_id
    blob = encrypt(kms, key_id)
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    assert describe(kms, key_id).key_state == "Disabled"
    calls = [
        lambda: encrypt(kms, key_id),
        lambda: decrypt(kms, blob),
        lambda: kms.generate_data_key(models.GenerateDataKeyRequest(key_id=key_id)),
    ]
    for call in calls:
        err = fails(call)
        assert (err.code, err.status_code) == ("Rejected.Disabled", 400)
        assert key_id in err.message
    kms.enable_key(models.EnableKeyRequest(key_id=key_id))
    assert describe(kms, key_id).key_state == "Enabled"
    assert decrypt(kms, blob).plaintext == "aGVsbG8="


# -- deletion ------------------------------------------------------------------------------


def schedule(kms: Any, key_id: str, days: int) -> Any:
    return kms.schedule_key_deletion(
        models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=days)
    )


def test_schedule_key_deletion_sets_pending_deletion_and_the_delete_date(kms: Any) -> None:
    for days in (7, 366):
        key_id = create_key(kms).key_id
        schedule(kms, key_id, days)
        meta = describe(kms, key_id)
        assert meta.key_state == "PendingDeletion"
        window = parse_date(meta.delete_date) - parse_date(meta.creation_date)
        assert timedelta(days=days) <= window < timedelta(days=days, minutes=1)


def test_schedule_key_deletion_rejects_a_window_outside_7_to_366_days(kms: Any) -> None:
    key_id = create_key(kms).key_id
    for days in (6, 367, 0):
        err = fails(lambda days=days: schedule(kms, key_id, days))
        assert (err.code, err.status_code) == ("InvalidParameter", 400)
        assert "PendingWindowInDays" in err.message
    assert describe(kms, key_id).key_state == "Enabled"


def test_a_key_pending_deletion_rejects_cryptography_and_enabling(kms: Any) -> None:
    key_id = create_key(kms).key_id
    blob = encrypt(kms, key_id)
    schedule(kms, key_id, 7)
    for call in (lambda: encrypt(kms, key_id), lambda: decrypt(kms, blob)):
        err = fails(call)
        assert (err.code, err.status_code) == ("Rejected.PendingDeletion", 400)
    err = fails(lambda: kms.enable_key(models.EnableKeyRequest(key_id=key_id)))
    assert err.code == "Rejected.PendingDeletion"
    err = fails(lambda: schedule(kms, key_id, 8))
    assert err.code == "Rejected.PendingDeletion"


def test_cancel_key_deletion_returns_a_pending_key_to_enabled(kms: Any) -> None:
    key_id = create_key(kms).key_id
    blob = encrypt(kms, key_id)
    schedule(kms, key_id, 30)
    kms.cancel_key_deletion(models.CancelKeyDeletionRequest(key_id=key_id))
    meta = describe(kms, key_id)
    assert (meta.key_state, meta.delete_date) == ("Enabled", "")
    assert decrypt(kms, blob).plaintext == "aGVsbG8="
    err = fails(lambda: kms.cancel_key_deletion(models.CancelKeyDeletionRequest(key_id=key_id)))
    assert (err.code, err.status_code) == ("Rejected.Unavailable", 400)


def test_deletion_protection_set_by_arn_blocks_scheduling_until_turned_off(
    server: RunningServer, kms: Any
) -> None:
    created = create_key(kms)
    secret_arn = f"acs:kms:cn-hangzhou:{server.account_id}:secret/db-password"
    err = fails(
        lambda: kms.set_deletion_protection(
            models.SetDeletionProtectionRequest(
                protected_resource_arn=secret_arn, enable_deletion_protection=True
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "ProtectedResourceArn" in err.message
    kms.set_deletion_protection(
        models.SetDeletionProtectionRequest(
            protected_resource_arn=created.arn,
            enable_deletion_protection=True,
            deletion_protection_description="production data",
        )
    )
    meta = describe(kms, created.key_id)
    assert (meta.deletion_protection, meta.deletion_protection_description) == ("Enabled", "production data")
    err = fails(lambda: schedule(kms, created.key_id, 7))
    assert (err.code, err.status_code) == ("Forbidden.DeletionProtection", 400)
    assert describe(kms, created.key_id).key_state == "Enabled"
    kms.set_deletion_protection(
        models.SetDeletionProtectionRequest(
            protected_resource_arn=created.arn, enable_deletion_protection=False
        )
    )
    assert describe(kms, created.key_id).deletion_protection == "Disabled"
    schedule(kms, created.key_id, 7)
    assert describe(kms, created.key_id).key_state == "PendingDeletion"


def test_a_key_is_destroyed_only_when_its_deletion_window_ends(server: RunningServer, kms: Any) -> None:
    key_id = create_key(kms).key_id
    survivor = create_key(kms).key_id
    blob = encrypt(kms, key_id)
    schedule(kms, key_id, 7)
    server.advance(7 * DAY - 60)
    assert describe(kms, key_id).key_state == "PendingDeletion"
    assert sorted(listed_key_ids(kms)) == sorted([key_id, survivor])
    clock = server.advance(61)
    assert {"Name": "keys.destroy_due_keys", "Items": 1} in clock["JobsRun"]
    assert describe(kms, key_id).key_state == "Deleted"
    for call in (lambda: encrypt(kms, key_id), lambda: decrypt(kms, blob)):
        err = fails(call)
        assert (err.code, err.status_code) == ("Forbidden.KeyNotFound", 404)
    assert listed_key_ids(kms) == [survivor]
    assert kms.list_keys(models.ListKeysRequest()).body.total_count == 1


def test_advancing_less_than_the_deletion_window_leaves_the_key_recoverable(
    server: RunningServer, kms: Any
) -> None:
    key_id = create_key(kms).key_id
    schedule(kms, key_id, 30)
    clock = server.advance(30 * DAY - 1)
    assert {"Name": "keys.destroy_due_keys", "Items": 0} in clock["JobsRun"]
    kms.cancel_key_deletion(models.CancelKeyDeletionRequest(key_id=key_id))
    assert decrypt(kms, encrypt(kms, key_id)).plaintext == "aGVsbG8="
    server.advance(30 * DAY)
    assert describe(kms, key_id).key_state == "Enabled"


def test_a_destroyed_key_cannot_be_enabled_or_rescheduled(server: RunningServer, kms: Any) -> None:
    key_id = create_key(kms).key_id
    schedule(kms, key_id, 7)
    server.advance(8 * DAY)
    for call in (
        lambda: kms.enable_key(models.EnableKeyRequest(key_id=key_id)),
        lambda: kms.cancel_key_deletion(models.CancelKeyDeletionRequest(key_id=key_id)),
        lambda: schedule(kms, key_id, 7),
        lambda: kms.update_key_description(
            models.UpdateKeyDescriptionRequest(key_id=key_id, description="x")
        ),
    ):
        err = fails(call)
        assert (err.code, err.status_code) == ("Forbidden.KeyNotFound", 404)
