"""Events caused through the Huawei CSMS SDK appear in the CloudMonitor API."""

from __future__ import annotations

from alibabacloud_cms20190101 import models as cms
from huaweicloudsdkcsms.v1 import model as csms

from tests.api.cms_support import assert_seed_shape, cms_client
from tests.api.csms_support import csms_client
from tests.conftest import RunningServer


def test_a_csms_scheduled_deletion_and_new_version_are_queryable_through_cms(server: RunningServer) -> None:
    huawei = csms_client(server)
    body = csms.CreateSecretRequestBody(name="via-huawei", secret_string="first")
    huawei.create_secret(csms.CreateSecretRequest(body=body))
    version = csms.CreateSecretVersionRequestBody(secret_string="second")
    huawei.create_secret_version(csms.CreateSecretVersionRequest(secret_name="via-huawei", body=version))
    window = csms.DeleteSecretForScheduleRequestBody(recovery_window_in_days=7)
    huawei.delete_secret_for_schedule(
        csms.DeleteSecretForScheduleRequest(secret_name="via-huawei", body=window)
    )

    client = cms_client(server)
    request = cms.DescribeSystemEventAttributeRequest(
        product="kms", search_keywords="via-huawei", page_size=50
    )
    items = client.describe_system_event_attribute(request).body.system_events.system_event
    found = sorted(item.name for item in items)
    assert found == [
        "Secret:DeleteSecret:ScheduleDeletion",
        "Secret:SecretVersion:Created",
        "Secret:SecretVersion:Created",
    ]
    for item in items:
        content = assert_seed_shape(item, server.account_id)
        assert content["secretName"] == "via-huawei"
