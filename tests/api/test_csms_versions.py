"""Secret versions and stages through the Huawei CSMS SDK: new versions, expiry, paging, `latest`, stage moves."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import assert_shape, csms_client, fails
from tests.conftest import RunningServer


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    client = csms_client(server)
    client.create_secret(
        m.CreateSecretRequest(body=m.CreateSecretRequestBody(name="app", secret_string="first"))
    )
    return client


def add_version(csms: CsmsClient, value: str, **fields: Any) -> Any:
    body = m.CreateSecretVersionRequestBody(secret_string=value, **fields)
    return csms.create_secret_version(m.CreateSecretVersionRequest(secret_name="app", body=body))


def version(csms: CsmsClient, version_id: str) -> Any:
    return csms.show_secret_version(m.ShowSecretVersionRequest(secret_name="app", version_id=version_id))


def stages_by_version(csms: CsmsClient) -> dict[str, list[str]]:
    listed = csms.list_secret_versions(m.ListSecretVersionsRequest(secret_name="app"))
    return {v.id: v.version_stages for v in listed.version_metadatas}


def stage(csms: CsmsClient, name: str) -> Any:
    return csms.show_secret_stage(m.ShowSecretStageRequest(secret_name="app", stage_name=name))


def move_stage(csms: CsmsClient, name: str, version_id: str) -> Any:
    body = m.UpdateSecretStageRequestBody(version_id=version_id)
    return csms.update_secret_stage(m.UpdateSecretStageRequest(secret_name="app", stage_name=name, body=body))


# -- versions ------------------------------------------------------------------------------------


def test_a_new_version_takes_syscurrent_and_leaves_sysprevious_behind(csms: CsmsClient) -> None:
    meta = assert_shape(add_version(csms, "second"))["version_metadata"]
    assert (meta["id"], meta["secret_name"], meta["version_stages"]) == ("v2", "app", ["SYSCURRENT"])
    assert stages_by_version(csms) == {"v1": ["SYSPREVIOUS"], "v2": ["SYSCURRENT"]}
    assert version(csms, "latest").version.secret_string == "second"


def test_a_version_with_only_a_custom_stage_leaves_syscurrent_alone(csms: CsmsClient) -> None:
    meta = add_version(csms, "candidate", version_stages=["canary"]).version_metadata
    assert meta.version_stages == ["canary"]
    assert version(csms, "latest").version.secret_string == "first"
    assert stage(csms, "canary").stage.version_id == meta.id


def test_old_versions_stay_readable_by_id(csms: CsmsClient) -> None:
    add_version(csms, "second")
    old = assert_shape(version(csms, "v1"))["version"]
    assert old["secret_string"] == "first"
    assert old["version_metadata"]["version_stages"] == ["SYSPREVIOUS"]


def test_binary_versions_are_returned_as_secret_binary(csms: CsmsClient) -> None:
    body = m.CreateSecretVersionRequestBody(secret_binary=base64.b64encode(b"\x00\xffbin").decode())
    csms.create_secret_version(m.CreateSecretVersionRequest(secret_name="app", body=body))
    latest = assert_shape(version(csms, "latest"))["version"]
    assert (latest["secret_binary"], latest["secret_string"]) == (
        base64.b64encode(b"\x00\xffbin").decode(),
        None,
    )


def test_expire_time_in_milliseconds_is_kept_as_given(csms: CsmsClient) -> None:
    meta = add_version(csms, "expiring", expire_time=1_893_456_000_000).version_metadata
    assert meta.expire_time == 1_893_456_000_000
    assert version(csms, meta.id).version.version_metadata.expire_time == 1_893_456_000_000


def test_expire_time_in_seconds_is_read_as_seconds(csms: CsmsClient) -> None:
    meta = add_version(csms, "expiring", expire_time=1_893_456_000).version_metadata
    assert meta.expire_time == 1_893_456_000_000


def test_update_version_changes_the_expire_time(csms: CsmsClient) -> None:
    body = m.UpdateVersionRequestBody(expire_time=1_900_000_000_000)
    response = csms.update_version(m.UpdateVersionRequest(secret_name="app", version_id="v1", body=body))
    meta = assert_shape(response)["version_metadata"]
    assert (meta["id"], meta["expire_time"], meta["version_stages"]) == (
        "v1",
        1_900_000_000_000,
        ["SYSCURRENT"],
    )
    assert version(csms, "v1").version.version_metadata.expire_time == 1_900_000_000_000


def test_update_version_without_an_expire_time_is_refused(csms: CsmsClient) -> None:
    request = m.UpdateVersionRequest(secret_name="app", version_id="v1", body=m.UpdateVersionRequestBody())
    error = fails(lambda: csms.update_version(request))
    assert (error.status_code, error.error_msg) == (400, "expire_time is mandatory for UpdateVersion")


def test_list_secret_versions_pages_with_the_last_version_id_as_marker(csms: CsmsClient) -> None:
    for n in range(2, 6):
        add_version(csms, f"value-{n}")
    pages = []
    marker = None
    while True:
        request = m.ListSecretVersionsRequest(secret_name="app", limit=2, marker=marker)
        body = assert_shape(csms.list_secret_versions(request))
        pages.append([v["id"] for v in body["version_metadatas"]])
        marker = body["page_info"]["next_marker"]
        assert body["page_info"]["current_count"] == len(pages[-1])
        if not marker:
            break
    assert pages == [["v1", "v2"], ["v3", "v4"], ["v5"]]


def test_an_unknown_marker_is_refused(csms: CsmsClient) -> None:
    error = fails(
        lambda: csms.list_secret_versions(m.ListSecretVersionsRequest(secret_name="app", marker="v9"))
    )
    assert error.error_msg == "marker 'v9' does not name a version of this secret in this list"


def test_an_unknown_version_is_not_found(csms: CsmsClient) -> None:
    error = fails(lambda: version(csms, "v42"))
    assert (error.status_code, error.error_code) == (404, "CSMS.0005")
    assert "v42" in error.error_msg


# -- stages --------------------------------------------------------------------------------------


def test_show_secret_stage_names_the_version_and_when_the_stage_moved(
    server: RunningServer, csms: CsmsClient
) -> None:
    shown = assert_shape(stage(csms, "SYSCURRENT"))["stage"]
    assert (shown["name"], shown["secret_name"], shown["version_id"]) == ("SYSCURRENT", "app", "v1")
    assert abs(shown["update_time"] - server.app.services.clock.now_ms()) < 60_000


def test_moving_syscurrent_back_rolls_back_and_demotes_the_newer_version(csms: CsmsClient) -> None:
    add_version(csms, "second")
    moved = assert_shape(move_stage(csms, "SYSCURRENT", "v1"))["stage"]
    assert (moved["name"], moved["version_id"]) == ("SYSCURRENT", "v1")
    assert version(csms, "latest").version.secret_string == "first"
    assert stages_by_version(csms) == {"v1": ["SYSCURRENT"], "v2": ["SYSPREVIOUS"]}


def test_a_custom_stage_moves_between_versions(csms: CsmsClient) -> None:
    add_version(csms, "second", version_stages=["blue"])
    move_stage(csms, "blue", "v1")
    assert stage(csms, "blue").stage.version_id == "v1"
    assert stages_by_version(csms) == {"v1": ["SYSCURRENT", "blue"], "v2": []}


def test_moving_a_stage_to_an_unknown_version_is_not_found(csms: CsmsClient) -> None:
    error = fails(lambda: move_stage(csms, "SYSCURRENT", "nope"))
    assert (error.status_code, error.error_code) == (404, "CSMS.0005")


def test_delete_secret_stage_removes_a_custom_stage(csms: CsmsClient) -> None:
    add_version(csms, "second", version_stages=["blue"])
    request = m.DeleteSecretStageRequest(secret_name="app", stage_name="blue")
    response = csms.delete_secret_stage(request)
    assert (response.status_code, response.raw_content) == (204, b"")
    error = fails(lambda: stage(csms, "blue"))
    assert (error.status_code, error.error_code) == (404, "CSMS.0005")
    assert error.error_msg == "secret 'app' has no version in stage blue"


@pytest.mark.parametrize("name", ["SYSCURRENT", "SYSPREVIOUS"])
def test_system_stages_cannot_be_deleted(csms: CsmsClient, name: str) -> None:
    add_version(csms, "second")
    error = fails(
        lambda: csms.delete_secret_stage(m.DeleteSecretStageRequest(secret_name="app", stage_name=name))
    )
    assert (error.status_code, error.error_code) == (400, "CSMS.0105")
    assert error.error_msg == f"{name} is a system stage: it can be moved but not deleted"
