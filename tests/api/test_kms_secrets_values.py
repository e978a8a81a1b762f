"""Secret values through the official KMS SDK: versions, stages, binary data, batch reads and key state."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.conftest import RunningServer

BINARY = bytes(range(256)) + b"\x00\xff\xfe"


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def create(kms: Any, name: str, data: str = "one", **fields: Any) -> Any:
    request = models.CreateSecretRequest(secret_name=name, secret_data=data, **{"version_id": "v1", **fields})
    return kms.create_secret(request).body


def put(
    kms: Any, name: str, version_id: str, data: str, stages: list[str] | None = None, **fields: Any
) -> Any:
    request = models.PutSecretValueRequest(
        secret_name=name,
        version_id=version_id,
        secret_data=data,
        version_stages=json.dumps(stages) if stages is not None else None,
        **fields,
    )
    return kms.put_secret_value(request).body


def get(kms: Any, name: str, **fields: Any) -> Any:
    return kms.get_secret_value(models.GetSecretValueRequest(secret_name=name, **fields)).body


def stage_map(kms: Any, name: str) -> dict[str, list[str]]:
    """Version id to its stages, including versions that carry none."""
    request = models.ListSecretVersionIdsRequest(secret_name=name, include_deprecated="true", page_size=100)
    body = kms.list_secret_version_ids(request).body
    return {v.version_id: v.version_stages.version_stage for v in body.version_ids.version_id}


def move_stage(kms: Any, name: str, stage: str, to: str | None = None, remove_from: str | None = None) -> Any:
    request = models.UpdateSecretVersionStageRequest(
        secret_name=name, version_stage=stage, move_to_version=to, remove_from_version=remove_from
    )
    return kms.update_secret_version_stage(request).body


# -- reading -------------------------------------------------------------------------------------


def test_get_secret_value_answers_the_current_version_with_every_field(kms: Any) -> None:
    create(kms, "app/db", data='{"user":"app","password":"p@ss w+rd/="}')
    body = get(kms, "app/db")
    assert body.secret_data == '{"user":"app","password":"p@ss w+rd/="}'
    assert (body.secret_name, body.version_id, body.secret_data_type, body.secret_type) == (
        "app/db",
        "v1",
        "text",
        "Generic",
    )
    assert body.version_stages.version_stage == ["ACSCurrent"]
    assert body.automatic_rotation == "Disabled"
    assert body.create_time.endswith("Z") and len(body.create_time) == 20
    assert body.extended_config is None


def test_fetch_extended_config_adds_the_config_json(kms: Any) -> None:
    create(kms, "cfg", extended_config={"CustomData": {"k": "v"}})
    assert json.loads(get(kms, "cfg", fetch_extended_config=True).extended_config) == {
        "CustomData": {"k": "v"}
    }
    create(kms, "no-cfg")
    assert get(kms, "no-cfg", fetch_extended_config=True).extended_config == ""


def test_unicode_text_round_trips_exactly(kms: Any) -> None:
    text = "pässwörd — 秘密 🔑 & a=b+c"
    create(kms, "unicode", data=text)
    assert get(kms, "unicode").secret_data == text


def test_a_version_can_be_read_by_id_by_stage_or_by_both_when_they_agree(kms: Any) -> None:
    create(kms, "multi")
    put(kms, "multi", "v2", "two")
    assert get(kms, "multi", version_id="v1").secret_data == "one"
    assert get(kms, "multi", version_stage="ACSPrevious").secret_data == "one"
    assert get(kms, "multi", version_id="v2", version_stage="ACSCurrent").secret_data == "two"
    mismatch = fails(lambda: get(kms, "multi", version_id="v1", version_stage="ACSCurrent"))
    assert mismatch.code == "Forbidden.ResourceNotFound" and "not in stage ACSCurrent" in mismatch.message
    unknown = fails(lambda: get(kms, "multi", version_id="v9"))
    assert (unknown.code, unknown.status_code) == ("Forbidden.ResourceNotFound", 404)
    assert "v9" in unknown.message
    no_stage = fails(lambda: get(kms, "multi", version_stage="ACSPending"))
    assert "ACSPending" in no_stage.message


def test_dry_run_checks_access_without_answering_the_value(kms: Any) -> None:
    create(kms, "dry")
    error = fails(lambda: get(kms, "dry", dry_run="true"))
    assert error.code == "DryRunOperationError"
    assert "one" not in str(error.data)


def test_a_disabled_encryption_key_makes_the_secret_unreadable_until_enabled(kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    create(kms, "locked", encryption_key_id=key_id)
    assert get(kms, "locked").secret_data == "one"  # now cached in memory: state must still be checked
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    error = fails(lambda: get(kms, "locked"))
    assert (error.code, error.status_code) == ("Rejected.Disabled", 400)
    assert key_id in error.message
    assert fails(lambda: put(kms, "locked", "v2", "two")).code == "Rejected.Disabled"
    kms.enable_key(models.EnableKeyRequest(key_id=key_id))
    assert get(kms, "locked").secret_data == "one"


def test_a_key_pending_deletion_makes_the_secret_unreadable(kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    create(kms, "orphaned", encryption_key_id=key_id)
    kms.schedule_key_deletion(models.ScheduleKeyDeletionRequest(key_id=key_id, pending_window_in_days=7))
    assert fails(lambda: get(kms, "orphaned")).code == "Rejected.PendingDeletion"


# -- binary --------------------------------------------------------------------------------------


def test_a_binary_secret_is_stored_decoded_and_answered_as_base64(kms: Any) -> None:
    encoded = base64.b64encode(BINARY).decode()
    create(kms, "cert", data=encoded, secret_data_type="binary")
    body = get(kms, "cert")
    assert body.secret_data_type == "binary"
    assert base64.b64decode(body.secret_data) == BINARY
    put(kms, "cert", "v2", base64.b64encode(b"\x01\x02").decode(), secret_data_type="binary")
    assert base64.b64decode(get(kms, "cert").secret_data) == b"\x01\x02"
    assert base64.b64decode(get(kms, "cert", version_id="v1").secret_data) == BINARY


def test_a_text_version_after_a_binary_one_is_answered_as_text(kms: Any) -> None:
    create(kms, "mixed", data=base64.b64encode(b"\x00bin").decode(), secret_data_type="binary")
    put(kms, "mixed", "v2", "now text")
    body = get(kms, "mixed")
    assert (body.secret_data, body.secret_data_type) == ("now text", "text")


def test_put_secret_value_refuses_binary_data_that_is_not_base64(kms: Any) -> None:
    create(kms, "bin", data="AAEC", secret_data_type="binary")
    error = fails(lambda: put(kms, "bin", "v2", "%%% not base64 %%%", secret_data_type="binary"))
    assert error.code == "InvalidParameter" and "SecretData must be valid base64" in error.message
    assert "not base64 %%%" not in error.message


# -- versions and stages -------------------------------------------------------------------------


def test_put_secret_value_makes_the_new_version_current_and_the_old_one_previous(kms: Any) -> None:
    create(kms, "rolling")
    body = put(kms, "rolling", "v2", "two")
    assert (body.secret_name, body.version_id, body.version_stages.version_stage) == (
        "rolling",
        "v2",
        ["ACSCurrent"],
    )
    assert get(kms, "rolling").secret_data == "two"
    assert stage_map(kms, "rolling") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}
    put(kms, "rolling", "v3", "three")
    assert stage_map(kms, "rolling") == {"v1": [], "v2": ["ACSPrevious"], "v3": ["ACSCurrent"]}
    assert get(kms, "rolling", version_id="v1").secret_data == "one"


def test_put_secret_value_with_a_custom_stage_leaves_current_alone(kms: Any) -> None:
    create(kms, "staged")
    body = put(kms, "staged", "v2", "two", ["ACSPending"])
    assert body.version_stages.version_stage == ["ACSPending"]
    assert get(kms, "staged").secret_data == "one"
    assert get(kms, "staged", version_stage="ACSPending").secret_data == "two"
    assert stage_map(kms, "staged") == {"v1": ["ACSCurrent"], "v2": ["ACSPending"]}


def test_put_secret_value_refuses_a_duplicate_version_and_bad_stages(kms: Any) -> None:
    create(kms, "strict")
    duplicate = fails(lambda: put(kms, "strict", "v1", "again"))
    assert (duplicate.code, duplicate.status_code) == ("Rejected.ResourceExist", 409)
    assert "v1" in duplicate.message
    for stages in ("ACSCurrent", "[]", "[1, 2]"):
        request = models.PutSecretValueRequest(
            secret_name="strict", version_id="v2", secret_data="x", version_stages=stages
        )
        error = fails(lambda r=request: kms.put_secret_value(r))
        assert error.code == "InvalidParameter" and "VersionStages" in error.message
    missing = fails(
        lambda: kms.put_secret_value(models.PutSecretValueRequest(secret_name="strict", secret_data="x"))
    )
    assert missing.code == "MissingParameter" and "VersionId" in missing.message
    assert get(kms, "strict").secret_data == "one"


def test_list_secret_version_ids_hides_unstaged_versions_unless_asked_and_pages(kms: Any) -> None:
    create(kms, "history")
    for n in range(2, 6):
        put(kms, "history", f"v{n}", f"value {n}")
    staged = kms.list_secret_version_ids(models.ListSecretVersionIdsRequest(secret_name="history")).body
    assert staged.secret_name == "history"
    assert [v.version_id for v in staged.version_ids.version_id] == ["v4", "v5"]
    assert staged.total_count == 2
    request = models.ListSecretVersionIdsRequest(
        secret_name="history", include_deprecated="true", page_number=2, page_size=2
    )
    second = kms.list_secret_version_ids(request).body
    assert [v.version_id for v in second.version_ids.version_id] == ["v3", "v4"]
    assert (second.page_number, second.page_size, second.total_count) == (2, 2, 5)
    assert all(v.create_time.endswith("Z") for v in second.version_ids.version_id)


def test_update_secret_version_stage_moves_current_and_demotes_the_old_one(kms: Any) -> None:
    create(kms, "flip")
    put(kms, "flip", "v2", "two", ["ACSPending"])
    refused = fails(lambda: move_stage(kms, "flip", "ACSCurrent", to="v2"))
    assert refused.code == "InvalidParameter" and "RemoveFromVersion" in refused.message
    assert move_stage(kms, "flip", "ACSCurrent", to="v2", remove_from="v1").secret_name == "flip"
    assert get(kms, "flip").secret_data == "two"
    assert stage_map(kms, "flip") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent", "ACSPending"]}
    move_stage(kms, "flip", "ACSPending", remove_from="v2")
    assert stage_map(kms, "flip") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}


def test_update_secret_version_stage_can_roll_back_to_the_previous_version(kms: Any) -> None:
    create(kms, "rollback")
    put(kms, "rollback", "v2", "bad value")
    move_stage(kms, "rollback", "ACSCurrent", to="v1", remove_from="v2")
    assert get(kms, "rollback").secret_data == "one"
    assert get(kms, "rollback", version_stage="ACSPrevious").secret_data == "bad value"


@pytest.mark.parametrize(
    ("stage", "to", "remove_from", "code", "named"),
    [
        ("ACSCurrent", None, "v2", "InvalidParameter", "ACSCurrent cannot be removed"),
        ("ACSPrevious", "v9", None, "Forbidden.ResourceNotFound", "v9"),
        ("ACSPrevious", None, "v2", "InvalidParameter", "RemoveFromVersion"),
        ("ACSPrevious", None, None, "InvalidParameter", "MoveToVersion"),
        ("bad stage!", "v1", None, "InvalidParameter", "VersionStage"),
    ],
    ids=["remove-current", "unknown-version", "wrong-holder", "neither", "bad-stage"],
)
def test_update_secret_version_stage_refuses_impossible_moves(
    kms: Any, stage: str, to: str | None, remove_from: str | None, code: str, named: str
) -> None:
    create(kms, "guarded")
    put(kms, "guarded", "v2", "two")
    error = fails(lambda: move_stage(kms, "guarded", stage, to, remove_from))
    assert error.code == code and named in error.message
    assert stage_map(kms, "guarded") == {"v1": ["ACSPrevious"], "v2": ["ACSCurrent"]}


# -- batch ---------------------------------------------------------------------------------------


def batch(kms: Any, *entries: dict[str, str]) -> Any:
    secrets_list = [models.BatchGetSecretValueRequestSecretsList(**e) for e in entries]
    return kms.batch_get_secret_value(models.BatchGetSecretValueRequest(secrets_list=secrets_list)).body


def test_batch_get_secret_value_answers_values_and_lists_a_missing_secret_in_errors(kms: Any) -> None:
    create(kms, "batch-a", data="alpha")
    create(kms, "batch-b", data="beta")
    put(kms, "batch-b", "v2", "beta two")
    body = batch(
        kms,
        {"secret_name": "batch-a"},
        {"secret_name": "batch-b", "version_stage": "ACSPrevious"},
        {"secret_name": "batch-missing", "version_stage": "ACSCurrent"},
    )
    assert [(v.secret_name, v.version_id, v.secret_data) for v in body.secret_values] == [
        ("batch-a", "v1", "alpha"),
        ("batch-b", "v1", "beta"),
    ]
    assert body.secret_values[1].version_stages.version_stage == ["ACSPrevious"]
    assert len(body.errors) == 1
    error = body.errors[0]
    assert (error.secret_name, error.code, error.http_status) == (
        "batch-missing",
        "Forbidden.ResourceNotFound",
        404,
    )
    assert "batch-missing" in error.message


def test_batch_get_secret_value_reports_a_secret_pending_deletion_and_a_disabled_key(kms: Any) -> None:
    key_id = kms.create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    create(kms, "batch-ok", data="fine")
    create(kms, "batch-deleted")
    create(kms, "batch-locked", encryption_key_id=key_id)
    kms.delete_secret(models.DeleteSecretRequest(secret_name="batch-deleted"))
    kms.disable_key(models.DisableKeyRequest(key_id=key_id))
    body = batch(
        kms, {"secret_name": "batch-ok"}, {"secret_name": "batch-deleted"}, {"secret_name": "batch-locked"}
    )
    assert [v.secret_data for v in body.secret_values] == ["fine"]
    assert sorted((e.secret_name, e.code, e.http_status) for e in body.errors) == [
        ("batch-deleted", "Rejected.SecretPendingDeletion", 400),
        ("batch-locked", "Rejected.Disabled", 400),
    ]


def test_batch_get_secret_value_answers_bare_lists_and_binary_as_base64(
    server: RunningServer, kms: Any
) -> None:
    create(kms, "raw-bin", data=base64.b64encode(b"\x00\x01").decode(), secret_data_type="binary")
    raw = server.client().call(
        "BatchGetSecretValue", {"SecretsList": json.dumps([{"SecretName": "raw-bin"}])}
    )
    assert raw["Errors"] == []
    assert isinstance(raw["SecretValues"], list)
    assert base64.b64decode(raw["SecretValues"][0]["SecretData"]) == b"\x00\x01"
    assert raw["SecretValues"][0]["SecretDataType"] == "binary"


def test_batch_get_secret_value_refuses_an_empty_or_malformed_list(server: RunningServer, kms: Any) -> None:
    for bad in ("[]", '{"SecretName":"x"}', '[{"Name":"x"}]', "not json"):
        error = fails(lambda b=bad: kms.call_api(*_raw_batch(b)))
        assert error.code == "InvalidParameter" and "SecretsList" in error.message
    too_many = json.dumps([{"SecretName": f"s{i}"} for i in range(51)])
    assert "limit is 50" in fails(lambda: kms.call_api(*_raw_batch(too_many))).message


def _raw_batch(secrets_list: str) -> tuple[Any, Any, Any]:
    """A BatchGetSecretValue call with SecretsList sent exactly as given (the SDK would JSON-encode it)."""
    from alibabacloud_tea_openapi import models as openapi
    from alibabacloud_tea_util import models as util

    params = openapi.Params(
        action="BatchGetSecretValue",
        version="2016-01-20",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = openapi.OpenApiRequest(query={"SecretsList": secrets_list})
    return params, request, util.RuntimeOptions()


def test_batch_get_secret_value_puts_a_denied_secret_in_errors_for_a_limited_user(
    server: RunningServer, kms: Any
) -> None:
    create(kms, "team/allowed", data="yes")
    create(kms, "other/denied", data="no")
    root = server.client()
    policy = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:BatchGetSecretValue", "kms:GetSecretValue"],
                "Resource": f"acs:kms:*:{server.account_id}:secret/team/*",
            }
        ],
    }
    root.vigil("CreatePolicy", {"PolicyName": "team-secrets", "PolicyDocument": json.dumps(policy)})
    root.vigil("CreateUser", {"UserName": "app"})
    root.vigil("AttachPolicyToUser", {"PolicyName": "team-secrets", "UserName": "app"})
    key = root.vigil("CreateAccessKey", {"UserName": "app"})["AccessKey"]
    user_kms = server.kms(key["AccessKeyId"], key["AccessKeySecret"])
    body = batch(user_kms, {"secret_name": "team/allowed"}, {"secret_name": "other/denied"})
    assert [v.secret_data for v in body.secret_values] == ["yes"]
    assert [(e.secret_name, e.code, e.http_status) for e in body.errors] == [
        ("other/denied", "Forbidden.RAM", 403)
    ]
    denied = fails(lambda: batch(user_kms, {"secret_name": "other/denied"}))
    assert (denied.code, denied.status_code) == ("Forbidden.RAM", 403)
    assert fails(lambda: get(user_kms, "other/denied")).code == "Forbidden.RAM"
    assert get(user_kms, "team/allowed").secret_data == "yes"
