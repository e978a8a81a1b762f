"""Users, access keys and identity through Vigil's own 2026-11-01 operations, over real HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from Tea.exceptions import TeaException

from tests.conftest import ROOT_AK, RunningServer, ServerFactory
from vigil.client import VigilApiError

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def vigil_error(
    server: RunningServer, action: str, params: dict[str, Any] | None = None, **creds: str
) -> Any:
    client = server.client(creds["ak"], creds["secret"]) if creds else server.client()
    with pytest.raises(VigilApiError) as caught:
        client.vigil(action, params)
    return caught.value


def sdk_error(call: Callable[[], Any]) -> TeaException:
    with pytest.raises(TeaException) as caught:
        call()
    return caught.value


def create_user(server: RunningServer, name: str, *statements: dict[str, Any]) -> tuple[str, str]:
    """A user with one access key and, when statements are given, one attached policy."""
    root = server.client()
    root.vigil("CreateUser", {"UserName": name})
    key = root.vigil("CreateAccessKey", {"UserName": name})["AccessKey"]
    if statements:
        document = json.dumps({"Version": "1", "Statement": list(statements)})
        root.vigil("CreatePolicy", {"PolicyName": f"{name}-policy", "PolicyDocument": document})
        root.vigil("AttachPolicyToUser", {"PolicyName": f"{name}-policy", "UserName": name})
    return key["AccessKeyId"], key["AccessKeySecret"]


def test_root_creates_a_user_with_an_access_key_whose_secret_is_shown_only_once(
    server: RunningServer,
) -> None:
    root = server.client()
    user = root.vigil("CreateUser", {"UserName": "alice", "DisplayName": "Alice A."})["User"]
    assert (user["UserName"], user["DisplayName"]) == ("alice", "Alice A.")
    assert root.vigil("GetUser", {"UserName": "alice"})["User"]["UserId"] == user["UserId"]
    created = root.vigil("CreateAccessKey", {"UserName": "alice"})["AccessKey"]
    assert (created["UserName"], created["Status"]) == ("alice", "Active")
    assert re.fullmatch(r"LTAI\w{16,}", created["AccessKeyId"])
    assert len(created["AccessKeySecret"]) >= 30
    listed = root.vigil("ListAccessKeys", {"UserName": "alice"})
    assert [k["AccessKeyId"] for k in listed["AccessKeys"]["AccessKey"]] == [created["AccessKeyId"]]
    assert "AccessKeySecret" not in listed["AccessKeys"]["AccessKey"][0]
    assert created["AccessKeySecret"] not in json.dumps(listed)


def test_a_new_user_key_signs_requests_for_that_user(server: RunningServer) -> None:
    ak, secret = create_user(server, "bob")
    me = server.client(ak, secret).vigil("GetCallerIdentity")
    assert (me["UserName"], me["IdentityType"], me["AccessKeyId"]) == ("bob", "ram-user", ak)
    assert me["Arn"] == f"acs:ram::{server.account_id}:user/bob"
    assert me["AccountId"] == server.account_id


def test_root_caller_identity_describes_the_deployment(server: RunningServer) -> None:
    me = server.client().vigil("GetCallerIdentity")
    assert re.fullmatch(r"\d{16}", me["AccountId"])
    assert re.fullmatch(r"[0-9a-f]{32}", me["ProjectId"])
    assert me["RegionId"] == "cn-hangzhou"
    assert re.fullmatch(r"kst-\w+", me["DefaultKmsInstanceId"])
    assert (me["IdentityType"], me["UserName"], me["AccessKeyId"]) == ("root-account", "", ROOT_AK)
    assert me["Arn"] == f"acs:ram::{me['AccountId']}:root"


def test_a_user_without_policies_can_do_nothing_but_ask_who_it_is(server: RunningServer) -> None:
    ak, secret = create_user(server, "nobody")
    key_id = server.kms().create_key(models.CreateKeyRequest()).body.key_metadata.key_id
    kms = server.kms(ak, secret)
    calls: dict[str, Callable[[], Any]] = {
        "kms:Encrypt": lambda: kms.encrypt(models.EncryptRequest(key_id=key_id, plaintext="eA==")),
        "kms:CreateKey": lambda: kms.create_key(models.CreateKeyRequest()),
        "kms:ListKeys": lambda: kms.list_keys(models.ListKeysRequest()),
    }
    for action, call in calls.items():
        error = sdk_error(call)
        assert (error.code, error.status_code) == ("Forbidden.RAM", 403), action
        assert f"user 'nobody' is not authorized to perform {action}" in error.data["Message"]
    denied = vigil_error(server, "CreateUser", {"UserName": "mallory"}, ak=ak, secret=secret)
    assert (denied.status, denied.code) == (403, "Forbidden.RAM")
    assert "vigil:CreateUser" in denied.message
    assert server.client(ak, secret).vigil("GetCallerIdentity")["UserName"] == "nobody"


def test_a_deactivated_access_key_is_refused_at_once_and_works_again_when_reactivated(
    server: RunningServer,
) -> None:
    ak, secret = create_user(server, "carol", ALLOW_ALL)
    kms = server.kms(ak, secret)
    assert kms.list_keys(models.ListKeysRequest()).body.total_count == 0
    updated = server.client().vigil("UpdateAccessKey", {"UserAccessKeyId": ak, "Status": "Inactive"})
    assert updated["AccessKey"]["Status"] == "Inactive"
    error = sdk_error(lambda: kms.list_keys(models.ListKeysRequest()))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    server.client().vigil("UpdateAccessKey", {"UserAccessKeyId": ak, "Status": "Active"})
    assert kms.list_keys(models.ListKeysRequest()).body.total_count == 0


def test_an_access_key_status_must_be_active_or_inactive(server: RunningServer) -> None:
    ak, _ = create_user(server, "dave")
    error = vigil_error(server, "UpdateAccessKey", {"UserAccessKeyId": ak, "Status": "Paused"})
    assert (error.status, error.code) == (400, "InvalidParameter")
    assert "'Paused'" in error.message


def test_a_deleted_access_key_is_gone_from_the_list_and_refused(server: RunningServer) -> None:
    ak, secret = create_user(server, "erin", ALLOW_ALL)
    root = server.client()
    spare = root.vigil("CreateAccessKey", {"UserName": "erin"})["AccessKey"]["AccessKeyId"]
    root.vigil("DeleteAccessKey", {"UserAccessKeyId": ak})
    listed = root.vigil("ListAccessKeys", {"UserName": "erin"})["AccessKeys"]["AccessKey"]
    assert [k["AccessKeyId"] for k in listed] == [spare]
    error = sdk_error(lambda: server.kms(ak, secret).list_keys(models.ListKeysRequest()))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    missing = vigil_error(server, "DeleteAccessKey", {"UserAccessKeyId": ak})
    assert (missing.status, missing.code) == (404, "EntityNotExist.AccessKey")


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("UpdateAccessKey", {"UserAccessKeyId": ROOT_AK, "Status": "Inactive"}),
        ("DeleteAccessKey", {"UserAccessKeyId": ROOT_AK}),
    ],
    ids=["disable", "delete"],
)
def test_the_root_identity_keeps_its_last_active_access_key(
    server: RunningServer, action: str, params: dict[str, str]
) -> None:
    error = vigil_error(server, action, params)
    assert (error.status, error.code) == (400, "Rejected.LastRootAccessKey")
    assert "last active access key" in error.message
    assert server.client().vigil("GetCallerIdentity")["AccessKeyId"] == ROOT_AK


def test_a_second_root_key_lets_the_first_be_retired(server: RunningServer) -> None:
    second = server.client().vigil("CreateAccessKey")["AccessKey"]
    assert second["UserName"] == ""
    server.client().vigil("DeleteAccessKey", {"UserAccessKeyId": ROOT_AK})
    new_root = server.client(second["AccessKeyId"], second["AccessKeySecret"])
    assert new_root.vigil("GetCallerIdentity")["IdentityType"] == "root-account"
    error = sdk_error(lambda: server.kms().list_keys(models.ListKeysRequest()))
    assert error.code == "InvalidAccessKeyId.NotFound"
    with pytest.raises(VigilApiError) as caught:  # the new key is now the last one, protected in turn
        new_root.vigil("UpdateAccessKey", {"UserAccessKeyId": second["AccessKeyId"], "Status": "Inactive"})
    assert caught.value.code == "Rejected.LastRootAccessKey"


def test_a_user_is_deleted_only_after_its_keys_and_policies_are_gone(server: RunningServer) -> None:
    ak, _ = create_user(server, "frank", ALLOW_ALL)
    root = server.client()
    with_keys = vigil_error(server, "DeleteUser", {"UserName": "frank"})
    assert (with_keys.status, with_keys.code) == (400, "DeleteConflict.User.AccessKey")
    root.vigil("DeleteAccessKey", {"UserAccessKeyId": ak})
    with_policy = vigil_error(server, "DeleteUser", {"UserName": "frank"})
    assert (with_policy.status, with_policy.code) == (400, "DeleteConflict.User.Policy")
    root.vigil("DetachPolicyFromUser", {"PolicyName": "frank-policy", "UserName": "frank"})
    root.vigil("DeleteUser", {"UserName": "frank"})
    gone = vigil_error(server, "GetUser", {"UserName": "frank"})
    assert (gone.status, gone.code) == (404, "EntityNotExist.User")
    assert "frank" not in [u["UserName"] for u in root.vigil("ListUsers")["Users"]["User"]]


def test_a_user_name_is_unique_and_well_formed(server: RunningServer) -> None:
    server.client().vigil("CreateUser", {"UserName": "grace"})
    taken = vigil_error(server, "CreateUser", {"UserName": "grace"})
    assert (taken.status, taken.code) == (409, "EntityAlreadyExists.User")
    bad = vigil_error(server, "CreateUser", {"UserName": "-grace/../"})
    assert (bad.status, bad.code) == (400, "InvalidParameter")


def test_only_the_root_identity_may_advance_the_clock_even_with_an_allow_all_policy(
    server: RunningServer,
) -> None:
    ak, secret = create_user(server, "heidi", ALLOW_ALL)
    error = vigil_error(server, "AdvanceClock", {"Seconds": 60}, ak=ak, secret=secret)
    assert (error.status, error.code) == (403, "Forbidden.RAM")
    assert server.client().vigil("GetClock")["OffsetSeconds"] == 0


@pytest.mark.parametrize("action", ["GetClock", "AdvanceClock"])
def test_the_test_clock_operations_do_not_exist_without_the_test_clock(
    start_server: ServerFactory, action: str
) -> None:
    server = start_server(test_clock=False)
    error = vigil_error(server, action, {"Seconds": 60})
    assert (error.status, error.code) == (400, "InvalidAction.NotFound")
    assert server.client().vigil("GetCallerIdentity")["IdentityType"] == "root-account"
