"""One secret store behind two dialects: what the KMS SDK writes the CSMS SDK reads, and the other way round.

Stage names translate (ACSCurrent is SYSCURRENT, ACSPrevious is SYSPREVIOUS) and version ids are shared.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import csms_client
from tests.conftest import RunningServer
from vigil.secrets.model import DataType
from vigil.secrets.service import NewSecret


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    return csms_client(server)


def latest(csms: CsmsClient, name: str) -> Any:
    return csms.show_secret_version(m.ShowSecretVersionRequest(secret_name=name, version_id="latest")).version


def stages_by_version(csms: CsmsClient, name: str) -> dict[str, list[str]]:
    listed = csms.list_secret_versions(m.ListSecretVersionsRequest(secret_name=name))
    return {v.id: v.version_stages for v in listed.version_metadatas}


def kms_value(kms: Any, name: str, **by: str) -> Any:
    return kms.get_secret_value(models.GetSecretValueRequest(secret_name=name, **by)).body


def test_a_secret_created_through_kms_reads_through_csms(server: RunningServer, csms: CsmsClient) -> None:
    kms = server.kms()
    kms.create_secret(
        models.CreateSecretRequest(
            secret_name="shared/db", secret_data="from-kms", version_id="k1", description="made by kms"
        )
    )
    secret = csms.show_secret(m.ShowSecretRequest(secret_name="shared/db")).secret
    assert (secret.secret_type, secret.state, secret.description) == ("COMMON", "ENABLED", "made by kms")
    version = latest(csms, "shared/db")
    assert (version.secret_string, version.version_metadata.id) == ("from-kms", "k1")
    assert version.version_metadata.version_stages == ["SYSCURRENT"]


def test_a_kms_put_secret_value_shows_as_syscurrent_and_sysprevious(
    server: RunningServer, csms: CsmsClient
) -> None:
    kms = server.kms()
    kms.create_secret(models.CreateSecretRequest(secret_name="flow", secret_data="one", version_id="k1"))
    kms.put_secret_value(models.PutSecretValueRequest(secret_name="flow", secret_data="two", version_id="k2"))
    assert stages_by_version(csms, "flow") == {"k1": ["SYSPREVIOUS"], "k2": ["SYSCURRENT"]}
    assert latest(csms, "flow").secret_string == "two"


def test_a_secret_created_through_csms_reads_through_kms(server: RunningServer, csms: CsmsClient) -> None:
    csms.create_secret(
        m.CreateSecretRequest(body=m.CreateSecretRequestBody(name="hw", secret_string="from-csms"))
    )
    csms.create_secret_version(
        m.CreateSecretVersionRequest(
            secret_name="hw", body=m.CreateSecretVersionRequestBody(secret_string="newer")
        )
    )
    kms = server.kms()
    current = kms_value(kms, "hw")
    assert (current.secret_data, current.version_id, current.secret_data_type) == ("newer", "v2", "text")
    assert kms_value(kms, "hw", version_stage="ACSPrevious").secret_data == "from-csms"


def test_a_binary_secret_from_csms_is_binary_in_kms(server: RunningServer, csms: CsmsClient) -> None:
    blob = b"\x00\x01binary\xff"
    body = m.CreateSecretRequestBody(name="blob", secret_binary=base64.b64encode(blob).decode())
    csms.create_secret(m.CreateSecretRequest(body=body))
    value = kms_value(server.kms(), "blob")
    assert value.secret_data_type == "binary"
    assert base64.b64decode(value.secret_data) == blob


def test_a_csms_stage_move_is_a_kms_stage_move(server: RunningServer, csms: CsmsClient) -> None:
    csms.create_secret(m.CreateSecretRequest(body=m.CreateSecretRequestBody(name="roll", secret_string="a")))
    csms.create_secret_version(
        m.CreateSecretVersionRequest(
            secret_name="roll", body=m.CreateSecretVersionRequestBody(secret_string="b")
        )
    )
    csms.update_secret_stage(
        m.UpdateSecretStageRequest(
            secret_name="roll", stage_name="SYSCURRENT", body=m.UpdateSecretStageRequestBody(version_id="v1")
        )
    )
    kms = server.kms()
    assert kms_value(kms, "roll").secret_data == "a"
    assert kms_value(kms, "roll", version_stage="ACSPrevious").version_id == "v2"


def test_a_kms_stage_move_shows_in_csms(server: RunningServer, csms: CsmsClient) -> None:
    kms = server.kms()
    kms.create_secret(models.CreateSecretRequest(secret_name="moved", secret_data="one", version_id="k1"))
    kms.put_secret_value(
        models.PutSecretValueRequest(
            secret_name="moved", secret_data="two", version_id="k2", version_stages='["blue"]'
        )
    )
    kms.update_secret_version_stage(
        models.UpdateSecretVersionStageRequest(
            secret_name="moved", version_stage="ACSCurrent", move_to_version="k2", remove_from_version="k1"
        )
    )
    shown = csms.show_secret_stage(
        m.ShowSecretStageRequest(secret_name="moved", stage_name="SYSCURRENT")
    ).stage
    assert shown.version_id == "k2"
    assert stages_by_version(csms, "moved") == {"k1": ["SYSPREVIOUS"], "k2": ["SYSCURRENT", "blue"]}


def test_a_kms_scheduled_deletion_is_pending_delete_in_csms(server: RunningServer, csms: CsmsClient) -> None:
    server.app.services.secrets.create_secret(
        server.account_id, NewSecret("direct", b"\x10\x20", data_type=DataType.BINARY)
    )
    server.kms().delete_secret(models.DeleteSecretRequest(secret_name="direct", recovery_window_in_days="7"))
    secret = csms.show_secret(m.ShowSecretRequest(secret_name="direct")).secret
    assert secret.state == "PENDING_DELETE"
    assert secret.scheduled_delete_time is not None
    csms.restore_secret(m.RestoreSecretRequest(secret_name="direct"))
    assert base64.b64decode(latest(csms, "direct").secret_binary) == b"\x10\x20"
