"""How the CSMS endpoint refuses: the error body and codes, signatures, project ids, policies and malformed requests."""

from __future__ import annotations

import json

import httpx
import pytest
from huaweicloudsdkcsms.v1 import CsmsClient
from huaweicloudsdkcsms.v1 import model as m

from tests.api.csms_support import csms_client, fails, project_id, signed_request
from tests.conftest import RunningServer


@pytest.fixture
def csms(server: RunningServer) -> CsmsClient:
    return csms_client(server)


def show(csms: CsmsClient, name: str) -> m.ShowSecretResponse:
    return csms.show_secret(m.ShowSecretRequest(secret_name=name))


def test_an_unknown_secret_is_a_404_with_a_csms_code_and_a_request_id(csms: CsmsClient) -> None:
    error = fails(lambda: show(csms, "missing"))
    assert (error.status_code, error.error_code) == (404, "CSMS.0005")
    assert error.error_msg == "secret 'missing' does not exist"
    assert len(error.request_id) == 36


def test_the_error_body_is_error_code_and_error_msg_with_an_x_request_id(server: RunningServer) -> None:
    response = signed_request(server, "GET", f"/v1/{project_id(server)}/secrets/missing")
    assert response.status_code == 404
    assert response.json() == {"error_code": "CSMS.0005", "error_msg": "secret 'missing' does not exist"}
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert len(response.headers["x-request-id"]) == 36


def test_a_wrong_secret_key_is_refused(server: RunningServer) -> None:
    wrong = csms_client(server, sk="not-the-secret-key-at-all")
    error = fails(lambda: wrong.list_secrets(m.ListSecretsRequest()))
    assert (error.status_code, error.error_code) == (400, "APIGW.0301")
    assert "signature does not match" in error.error_msg


def test_an_unknown_access_key_is_refused(server: RunningServer) -> None:
    stranger = csms_client(server, ak="HWUNKNOWNACCESSKEY00")
    error = fails(lambda: stranger.list_secrets(m.ListSecretsRequest()))
    assert (error.status_code, error.error_code) == (404, "APIGW.0301")
    assert error.error_msg == "Specified access key is not found or disabled: HWUNKNOWNACCESSKEY00"


def test_another_project_id_is_not_served_here(server: RunningServer) -> None:
    other = csms_client(server, project="0" * 32)
    error = fails(lambda: other.list_secrets(m.ListSecretsRequest()))
    assert (error.status_code, error.error_code) == (404, "CSMS.0404")
    assert f"this Vigil serves project {project_id(server)}" in error.error_msg


def test_an_x_project_id_that_differs_from_the_path_is_forbidden(server: RunningServer) -> None:
    path = f"/v1/{project_id(server)}/secrets"
    response = signed_request(server, "GET", path, headers={"X-Project-Id": "f" * 32})
    assert response.status_code == 403
    assert response.json()["error_code"] == "CSMS.0403"
    assert "does not match the project id in the path" in response.json()["error_msg"]


def test_an_unsigned_request_is_refused(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/v1/{project_id(server)}/secrets")
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "APIGW.0301",
        "error_msg": "the request has no Authorization header",
    }


def test_a_path_with_no_operation_is_a_404_naming_it(server: RunningServer) -> None:
    response = signed_request(server, "GET", f"/v1/{project_id(server)}/secrets/app/backup")
    assert response.status_code == 404
    assert response.json()["error_code"] == "CSMS.0003"
    assert (
        response.json()["error_msg"]
        == f"no CSMS operation is served at GET /v1/{project_id(server)}/secrets/app/backup"
    )


def test_a_body_that_is_not_json_says_where_it_broke(server: RunningServer) -> None:
    response = signed_request(server, "POST", f"/v1/{project_id(server)}/secrets", b'{"name": "x",}')
    assert response.status_code == 400
    assert response.json()["error_code"] == "CSMS.0004"
    assert response.json()["error_msg"].startswith("the request body is not valid JSON: ")
    assert "line 1 column" in response.json()["error_msg"]


def test_a_body_that_is_not_an_object_is_refused(server: RunningServer) -> None:
    response = signed_request(server, "POST", f"/v1/{project_id(server)}/secrets", b'["x"]')
    assert response.json() == {
        "error_code": "CSMS.0004",
        "error_msg": "the request body must be a JSON object, not a list",
    }


def test_a_field_of_the_wrong_type_is_named_without_its_value(server: RunningServer) -> None:
    body = json.dumps({"name": "typed", "secret_string": 12345678}).encode()
    response = signed_request(server, "POST", f"/v1/{project_id(server)}/secrets", body)
    assert response.status_code == 400
    assert response.json() == {
        "error_code": "CSMS.0002",
        "error_msg": "secret_string must be a string, not a number",
    }


# -- policies ------------------------------------------------------------------------------------


def grant_user(server: RunningServer, actions: list[str], resource: str) -> tuple[str, str]:
    root = server.client()
    root.vigil("CreateUser", {"UserName": "reader"})
    key = root.vigil("CreateAccessKey", {"UserName": "reader"})["AccessKey"]
    document = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    root.vigil("CreatePolicy", {"PolicyName": "csms-read", "PolicyDocument": json.dumps(document)})
    root.vigil("AttachPolicyToUser", {"PolicyName": "csms-read", "UserName": "reader"})
    return key["AccessKeyId"], key["AccessKeySecret"]


def test_policies_name_csms_actions_and_csms_secret_resources(
    server: RunningServer, csms: CsmsClient
) -> None:
    for name in ("allowed", "other"):
        csms.create_secret(
            m.CreateSecretRequest(body=m.CreateSecretRequestBody(name=name, secret_string="v"))
        )
    resource = f"acs:csms:cn-hangzhou:{server.account_id}:secret/allowed"
    user = csms_client(server, *grant_user(server, ["csms:ShowSecret"], resource))
    assert show(user, "allowed").secret.name == "allowed"
    denied = fails(lambda: show(user, "other"))
    assert (denied.status_code, denied.error_code) == (403, "CSMS.0403")
    assert f"csms:ShowSecret on acs:csms:cn-hangzhou:{server.account_id}:secret/other" in denied.error_msg
    version = m.ShowSecretVersionRequest(secret_name="allowed", version_id="latest")
    assert fails(lambda: user.show_secret_version(version)).error_msg.endswith("no policy allows it")
