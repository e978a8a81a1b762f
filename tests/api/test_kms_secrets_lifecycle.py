"""Secret lifecycle through the official KMS SDK: create, describe, list, update, tags, delete and restore."""

from __future__ import annotations

import json
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


def create(kms: Any, name: str, data: str = "s3cret-value", **fields: Any) -> Any:
    request = models.CreateSecretRequest(secret_name=name, secret_data=data, **{"version_id": "v1", **fields})
    return kms.create_secret(request).body


def describe(kms: Any, name: str, fetch_tags: bool = False) -> Any:
    request = models.DescribeSecretRequest(secret_name=name, fetch_tags="true" if fetch_tags else None)
    return kms.describe_secret(request).body


def value_of(kms: Any, name: str) -> str:
    return str(kms.get_secret_value(models.GetSecretValueRequest(secret_name=name)).body.secret_data)


def listed(kms: Any, filters: list[dict[str, Any]] | None = None, **paging: Any) -> Any:
    request = models.ListSecretsRequest(filters=json.dumps(filters) if filters else None, **paging)
    return kms.list_secrets(request).body


def tags_json(**tags: str) -> str:
    return json.dumps([{"TagKey": k, "TagValue": v} for k, v in tags.items()])


# -- create and describe -----------------------------------------------------------------------


def test_create_secret_answers_with_its_arn_version_and_defaults(server: RunningServer, kms: Any) -> None:
    body = create(kms, "db/orders", description="orders database")
    assert body.arn == f"acs:kms:cn-hangzhou:{server.account_id}:secret/db/orders"
    assert (body.secret_name, body.secret_type, body.version_id) == ("db/orders", "Generic", "v1")
    assert body.automatic_rotation == "Disabled"
    assert body.dkmsinstance_id.startswith("kst-")
    assert (body.next_rotation_date, body.rotation_interval, body.extended_config) == ("", "", "")


def test_create_secret_without_a_version_id_names_the_first_version_v1(kms: Any) -> None:
    body = kms.create_secret(models.CreateSecretRequest(secret_name="no-version", secret_data="x")).body
    assert body.version_id == "v1"
    assert (
        kms.get_secret_value(models.GetSecretValueRequest(secret_name="no-version")).body.version_id == "v1"
    )


def test_describe_secret_shows_metadata_the_default_key_and_tags_on_request(kms: Any) -> None:
    create(kms, "api/token", description="third-party token", tags=tags_json(env="prod", team="pay"))
    body = describe(kms, "api/token", fetch_tags=True)
    assert body.description == "third-party token"
    assert body.encryption_key_id.startswith("key-")
    assert parse_date(body.create_time) == parse_date(body.update_time)
    assert (body.planned_delete_time, body.automatic_rotation, body.owing_service) == ("", "Disabled", "")
    assert sorted((t.tag_key, t.tag_value) for t in body.tags.tag) == [("env", "prod"), ("team", "pay")]
    assert describe(kms, "api/token").tags is None


def test_a_secret_under_a_chosen_key_is_described_with_that_key(kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    kms.create_alias(models.CreateAliasRequest(alias_name="alias/secrets-key", key_id=key_id))
    create(kms, "by-id", encryption_key_id=key_id)
    create(kms, "by-alias", encryption_key_id="alias/secrets-key")
    assert describe(kms, "by-id").encryption_key_id == describe(kms, "by-alias").encryption_key_id == key_id


def test_extended_config_round_trips_as_a_json_string(kms: Any) -> None:
    config = {"CustomData": {"owner": "alice", "nested": {"n": 1}}}
    body = create(kms, "configured", extended_config=config)
    assert json.loads(body.extended_config) == config
    assert json.loads(describe(kms, "configured").extended_config) == config


@pytest.mark.parametrize(
    ("fields", "code", "named"),
    [
        ({"secret_type": "Vault"}, "InvalidParameter", "SecretType"),
        ({"secret_data_type": "hex"}, "InvalidParameter", "SecretDataType"),
        ({"version_id": "v 1"}, "InvalidParameter", "VersionId"),
        ({"tags": "not json"}, "InvalidParameter", "Tags"),
        ({"secret_data_type": "binary"}, "InvalidParameter", "SecretData must be valid base64"),
        ({"encryption_key_id": "key-doesnotexist"}, "Forbidden.KeyNotFound", "key-doesnotexist"),
        ({"rotation_interval": "1h", "enable_automatic_rotation": False}, "InvalidParameter", "6 hours"),
    ],
    ids=["secret-type", "data-type", "version-id", "tags", "binary-not-base64", "missing-key", "interval"],
)
def test_create_secret_refuses_bad_parameters_naming_them(
    kms: Any, fields: dict[str, Any], code: str, named: str
) -> None:
    error = fails(lambda: create(kms, "bad", data="not base64 %%", **fields))
    assert (error.code, error.status_code) == (code, 404 if code.startswith("Forbidden") else 400)
    assert named in error.message
    assert "not base64 %%" not in error.message
    assert fails(lambda: describe(kms, "bad")).code == "Forbidden.ResourceNotFound"


def test_create_secret_refuses_a_bad_name_and_a_duplicate(kms: Any) -> None:
    assert "SecretName" in fails(lambda: create(kms, "has space")).message
    create(kms, "taken")
    duplicate = fails(lambda: create(kms, "taken", data="other"))
    assert (duplicate.code, duplicate.status_code) == ("Rejected.ResourceExist", 409)
    assert value_of(kms, "taken") == "s3cret-value"


def test_create_secret_with_a_disabled_key_is_rejected(kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    assert fails(lambda: create(kms, "on-disabled", encryption_key_id=key_id)).code == "Rejected.Disabled"


def test_an_unknown_secret_is_not_found_for_every_read_and_write(kms: Any) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: describe(kms, "ghost"),
        lambda: value_of(kms, "ghost"),
        lambda: kms.update_secret(models.UpdateSecretRequest(secret_name="ghost", description="d")),
        lambda: kms.delete_secret(models.DeleteSecretRequest(secret_name="ghost")),
        lambda: kms.restore_secret(models.RestoreSecretRequest(secret_name="ghost")),
        lambda: kms.list_secret_version_ids(models.ListSecretVersionIdsRequest(secret_name="ghost")),
        lambda: kms.put_secret_value(
            models.PutSecretValueRequest(secret_name="ghost", version_id="v2", secret_data="x")
        ),
    ]
    for call in calls:
        error = fails(call)
        assert (error.code, error.status_code) == ("Forbidden.ResourceNotFound", 404)
        assert "ghost" in error.message


# -- list ----------------------------------------------------------------------------------------


def test_list_secrets_pages_by_name_with_total_count(kms: Any) -> None:
    for name in ("c", "a", "e", "b", "d"):
        create(kms, name)
    first = listed(kms, page_number=1, page_size=2)
    assert [s.secret_name for s in first.secret_list.secret] == ["a", "b"]
    assert (first.page_number, first.page_size, first.total_count) == (1, 2, 5)
    last = listed(kms, page_number=3, page_size=2)
    assert [s.secret_name for s in last.secret_list.secret] == ["e"]
    beyond = listed(kms, page_number=4, page_size=2)
    assert (beyond.secret_list.secret, beyond.total_count) == ([], 5)


def test_list_secrets_filters_by_name_substring_and_by_type(kms: Any) -> None:
    for name in ("prod/db", "prod/api", "dev/db"):
        create(kms, name)
    by_name = listed(kms, [{"Key": "SecretName", "Values": ["db"]}])
    assert [s.secret_name for s in by_name.secret_list.secret] == ["dev/db", "prod/db"]
    assert by_name.total_count == 2
    either = listed(kms, [{"Key": "SecretName", "Values": ["api", "dev/"]}])
    assert [s.secret_name for s in either.secret_list.secret] == ["dev/db", "prod/api"]
    assert listed(kms, [{"Key": "SecretType", "Values": ["Generic"]}]).total_count == 3
    assert listed(kms, [{"Key": "SecretType", "Values": ["Rds"]}]).secret_list.secret == []
    both = listed(
        kms, [{"Key": "SecretName", "Values": ["prod"]}, {"Key": "SecretType", "Values": ["Generic"]}]
    )
    assert both.total_count == 2


def test_list_secrets_shows_tags_only_when_asked(kms: Any) -> None:
    create(kms, "tagged", tags=tags_json(env="prod"))
    plain = listed(kms).secret_list.secret[0]
    assert plain.tags is None
    with_tags = kms.list_secrets(models.ListSecretsRequest(fetch_tags="true")).body.secret_list.secret[0]
    assert [(t.tag_key, t.tag_value) for t in with_tags.tags.tag] == [("env", "prod")]


@pytest.mark.parametrize(
    ("paging", "filters", "named"),
    [
        ({"page_size": 101}, None, "PageSize"),
        ({"page_size": 0}, None, "PageSize"),
        ({"page_number": 0}, None, "PageNumber"),
        ({}, [{"Key": "Owner", "Values": ["x"]}], "Owner"),
        ({}, [{"Key": "SecretName", "Values": "db"}], "Filters"),
    ],
    ids=["size-too-big", "size-zero", "page-zero", "unknown-key", "values-not-a-list"],
)
def test_list_secrets_refuses_bad_paging_and_filters(
    kms: Any, paging: dict[str, int], filters: list[dict[str, Any]] | None, named: str
) -> None:
    error = fails(lambda: listed(kms, filters, **paging))
    assert error.code == "InvalidParameter" and named in error.message


# -- update and tags -----------------------------------------------------------------------------


def test_update_secret_changes_the_description_and_merges_custom_data(kms: Any) -> None:
    create(kms, "upd", description="old", extended_config={"CustomData": {"a": "1", "b": "2"}})
    config = models.UpdateSecretRequestExtendedConfig(custom_data={"b": "20", "c": "3"})
    answer = kms.update_secret(
        models.UpdateSecretRequest(secret_name="upd", description="new", extended_config=config)
    )
    assert answer.body.secret_name == "upd"
    body = describe(kms, "upd")
    assert body.description == "new"
    assert json.loads(body.extended_config) == {"CustomData": {"a": "1", "b": "20", "c": "3"}}
    assert value_of(kms, "upd") == "s3cret-value"


def test_tags_on_a_secret_are_added_listed_and_removed_by_secret_name(kms: Any) -> None:
    create(kms, "tag-me", tags=tags_json(env="dev"))
    kms.tag_resource(models.TagResourceRequest(secret_name="tag-me", tags=tags_json(env="prod", tier="gold")))
    assert sorted((t.tag_key, t.tag_value) for t in describe(kms, "tag-me", True).tags.tag) == [
        ("env", "prod"),
        ("tier", "gold"),
    ]
    kms.untag_resource(models.UntagResourceRequest(secret_name="tag-me", tag_keys='["env"]'))
    assert [(t.tag_key, t.tag_value) for t in describe(kms, "tag-me", True).tags.tag] == [("tier", "gold")]
    missing = fails(
        lambda: kms.tag_resource(models.TagResourceRequest(secret_name="nope", tags=tags_json(a="b")))
    )
    assert missing.code == "Forbidden.ResourceNotFound"


def test_list_resource_tags_answers_for_a_secret_name(server: RunningServer, kms: Any) -> None:
    create(kms, "listed-tags", tags=tags_json(env="prod", team="pay"))
    answer = server.client().call("ListResourceTags", {"SecretName": "listed-tags"})
    assert answer["Tags"]["Tag"] == [
        {"TagKey": "env", "TagValue": "prod"},
        {"TagKey": "team", "TagValue": "pay"},
    ]
    both = fails(
        lambda: kms.tag_resource(models.TagResourceRequest(key_id="k", secret_name="listed-tags", tags="[]"))
    )
    assert both.code == "InvalidParameter" and "not both" in both.message


# -- delete and restore --------------------------------------------------------------------------


def test_delete_secret_schedules_deletion_after_the_default_thirty_days(kms: Any) -> None:
    create(kms, "doomed")
    body = kms.delete_secret(models.DeleteSecretRequest(secret_name="doomed")).body
    assert body.secret_name == "doomed"
    planned = parse_date(body.planned_delete_time)
    created = parse_date(describe(kms, "doomed").create_time)
    assert timedelta(days=30) <= planned - created < timedelta(days=30, minutes=1)
    assert describe(kms, "doomed").planned_delete_time == body.planned_delete_time
    listed_secret = listed(kms).secret_list.secret[0]
    assert listed_secret.planned_delete_time == body.planned_delete_time


def test_a_secret_pending_deletion_refuses_reads_and_writes_until_restored(kms: Any) -> None:
    create(kms, "paused")
    kms.delete_secret(models.DeleteSecretRequest(secret_name="paused", recovery_window_in_days="7"))
    calls: list[Callable[[], Any]] = [
        lambda: value_of(kms, "paused"),
        lambda: kms.put_secret_value(
            models.PutSecretValueRequest(secret_name="paused", version_id="v2", secret_data="x")
        ),
        lambda: kms.update_secret(models.UpdateSecretRequest(secret_name="paused", description="d")),
        lambda: kms.delete_secret(models.DeleteSecretRequest(secret_name="paused")),
    ]
    for call in calls:
        error = fails(call)
        assert (error.code, error.status_code) == ("Rejected.SecretPendingDeletion", 400)
    restored = kms.restore_secret(models.RestoreSecretRequest(secret_name="paused")).body
    assert restored.secret_name == "paused"
    assert value_of(kms, "paused") == "s3cret-value"
    assert describe(kms, "paused").planned_delete_time == ""


def test_restoring_a_secret_that_is_not_being_deleted_is_refused(kms: Any) -> None:
    create(kms, "alive")
    error = fails(lambda: kms.restore_secret(models.RestoreSecretRequest(secret_name="alive")))
    assert error.code == "InvalidParameter" and "not scheduled for deletion" in error.message


@pytest.mark.parametrize("days", ["6", "31", "seven"])
def test_delete_secret_refuses_a_recovery_window_outside_seven_to_thirty_days(kms: Any, days: str) -> None:
    create(kms, "windowed")
    error = fails(
        lambda: kms.delete_secret(
            models.DeleteSecretRequest(secret_name="windowed", recovery_window_in_days=days)
        )
    )
    assert error.code == "InvalidParameter" and "RecoveryWindowInDays" in error.message
    assert describe(kms, "windowed").planned_delete_time == ""


def test_the_recovery_window_ending_destroys_the_secret_and_frees_its_name(
    server: RunningServer, kms: Any
) -> None:
    create(kms, "expiring", data="first life")
    kms.delete_secret(models.DeleteSecretRequest(secret_name="expiring", recovery_window_in_days="7"))
    server.advance(7 * DAY - 60)
    assert describe(kms, "expiring").planned_delete_time != ""
    server.advance(61)
    error = fails(lambda: describe(kms, "expiring"))
    assert (error.code, error.status_code) == ("Forbidden.ResourceNotFound", 404)
    assert (
        fails(lambda: kms.restore_secret(models.RestoreSecretRequest(secret_name="expiring"))).status_code
        == 404
    )
    assert listed(kms).total_count == 0
    create(kms, "expiring", data="second life")
    assert value_of(kms, "expiring") == "second life"
    versions = kms.list_secret_version_ids(models.ListSecretVersionIdsRequest(secret_name="expiring")).body
    assert [v.version_id for v in versions.version_ids.version_id] == ["v1"]


def test_a_secret_restored_inside_the_window_survives_its_end(server: RunningServer, kms: Any) -> None:
    create(kms, "rescued")
    kms.delete_secret(models.DeleteSecretRequest(secret_name="rescued", recovery_window_in_days="10"))
    server.advance(9 * DAY)
    kms.restore_secret(models.RestoreSecretRequest(secret_name="rescued"))
    server.advance(2 * DAY)
    assert value_of(kms, "rescued") == "s3cret-value"


def test_force_delete_without_recovery_destroys_at_once(kms: Any) -> None:
    create(kms, "gone-now")
    body = kms.delete_secret(
        models.DeleteSecretRequest(secret_name="gone-now", force_delete_without_recovery="true")
    ).body
    assert body.secret_name == "gone-now" and body.planned_delete_time != ""
    assert fails(lambda: describe(kms, "gone-now")).code == "Forbidden.ResourceNotFound"
    assert (
        fails(lambda: kms.restore_secret(models.RestoreSecretRequest(secret_name="gone-now"))).status_code
        == 404
    )
    create(kms, "gone-now", data="again")
    assert value_of(kms, "gone-now") == "again"


def test_force_delete_also_ends_a_pending_deletion(kms: Any) -> None:
    create(kms, "twice")
    kms.delete_secret(models.DeleteSecretRequest(secret_name="twice"))
    kms.delete_secret(models.DeleteSecretRequest(secret_name="twice", force_delete_without_recovery="true"))
    assert fails(lambda: describe(kms, "twice")).code == "Forbidden.ResourceNotFound"
