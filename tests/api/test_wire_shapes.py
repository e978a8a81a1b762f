"""Every KMS action Vigil serves answers in exactly the shape the official SDK's models expect.

The SDK maps a response body with ``from_map``: unknown keys are dropped, types are not
coerced, and a shape mismatch silently leaves ``resp.body`` as None (WIRE.md §1.3). So each
raw body is checked against the SDK's own model table, key by key and type by type.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_kms20160120.client import Client

from tests.api.sdk_support import KeepsLastAnswer, local_config
from tests.conftest import REGION, RunningServer
from vigil.client import VigilClient
from vigil.dialects.alibaba import kms_crypto, kms_keys, kms_secrets

Models = dict[str, list[list[str]]]
_MODELS_FILE = Path("shared/reference/wire/tables/models_alibabacloud_kms20160120.json")
_SCALARS: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "bool": (bool,), "float": (int, float)}
_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[str, (str|Any)\]$")


def find_models_file(start: Path) -> Path:
    """The SDK model table, found in a ``shared/`` directory beside the repository or above it."""
    for directory in (start, *start.parents):
        candidate = directory / _MODELS_FILE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{_MODELS_FILE} not found in any parent directory of {start}")


@cache
def sdk_models() -> Models:
    models_file = find_models_file(Path(__file__).resolve().parent)
    table: Models = json.loads(models_file.read_text(encoding="utf-8"))
    return table


def shape_faults(value: Any, type_name: str, table: Models, path: str = "$") -> list[str]:
    """Every way ``value`` (decoded JSON) differs from the SDK type ``type_name``; empty when it fits.

    Scalars must have the exact JSON type (a bool is not an int), lists must be lists of the
    element type, and a model must be an object whose every key is one of the model's wire keys.
    """
    if value is None:
        return [f"{path}: null where the SDK expects {type_name}"]
    if type_name in _SCALARS:
        scalar_ok = isinstance(value, _SCALARS[type_name]) and (type_name == "bool") == isinstance(
            value, bool
        )
        return [] if scalar_ok else [f"{path}: {type(value).__name__} {value!r:.40} is not {type_name}"]
    if element := _LIST.match(type_name):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where the SDK expects {type_name}"]
        return [
            f for i, item in enumerate(value) for f in shape_faults(item, element[1], table, f"{path}[{i}]")
        ]
    if entry := _DICT.match(type_name):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where the SDK expects {type_name}"]
        if entry[1] == "str":
            return [f"{path}.{k}: not a string" for k, v in value.items() if not isinstance(v, str)]
        return []
    return _model_faults(value, type_name, table, path)


def _model_faults(value: Any, model: str, table: Models, path: str) -> list[str]:
    if model not in table:
        return [f"{path}: the SDK has no model {model}"]
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} where the SDK expects the object {model}"]
    fields = {wire: kind for wire, _, kind in table[model]}
    faults = []
    for key, item in value.items():
        if key not in fields:
            faults.append(f"{path}.{key}: not a field of {model} (the SDK drops it)")
        else:
            faults.extend(shape_faults(item, fields[key], table, f"{path}.{key}"))
    return faults


class RecordingClient(KeepsLastAnswer, Client):  # type: ignore[misc]
    """The official KMS client, keeping the raw JSON answer of its last call."""


def recording_client(server: RunningServer) -> RecordingClient:
    return RecordingClient(local_config(server))


# -- the checker's own behaviour ----------------------------------------------------------------

_TOY: Models = {
    "ToyBody": [
        ["Keys", "keys", "ToyBodyKeys"],
        ["Total", "total", "int"],
        ["Ok", "ok", "bool"],
        ["Zones", "zones", "List[str]"],
        ["RequestId", "request_id", "str"],
    ],
    "ToyBodyKeys": [["Key", "key", "List[ToyBodyKeysKey]"]],
    "ToyBodyKeysKey": [["KeyId", "key_id", "str"]],
}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"Keys": {"Key": [{"KeyId": "k"}]}, "Total": 1, "Ok": True, "Zones": ["a"]}, []),
        ({"Keys": [{"KeyId": "k"}]}, ["$.Keys: list where the SDK expects the object ToyBodyKeys"]),
        ({"Keys": {"Key": {"KeyId": "k"}}}, ["$.Keys.Key: dict where the SDK expects List[ToyBodyKeysKey]"]),
        ({"Keys": {"Key": [{"KeyId": 7}]}}, ["$.Keys.Key[0].KeyId: int 7 is not str"]),
        ({"Total": "1"}, ["$.Total: str '1' is not int"]),
        ({"Total": True}, ["$.Total: bool True is not int"]),
        ({"Ok": "true"}, ["$.Ok: str 'true' is not bool"]),
        ({"Zones": ["a", 1]}, ["$.Zones[1]: int 1 is not str"]),
        ({"Extra": "x"}, ["$.Extra: not a field of ToyBody (the SDK drops it)"]),
        ({"Total": None}, ["$.Total: null where the SDK expects int"]),
    ],
    ids=[
        "fits",
        "bare-list",
        "object-not-list",
        "nested-type",
        "str-for-int",
        "bool-for-int",
        "str-for-bool",
        "list-element",
        "unknown-key",
        "null",
    ],
)
def test_shape_checker_names_each_fault_by_its_path(body: dict[str, Any], expected: list[str]) -> None:
    assert shape_faults(body, "ToyBody", _TOY) == expected


def test_the_sdk_model_table_is_found_beside_the_repository() -> None:
    table = sdk_models()
    assert ["KeyArn", "key_arn", "str"] in table["ListKeysResponseBodyKeysKey"]


# -- every served action, called through the official SDK ---------------------------------------


@dataclass(frozen=True, slots=True)
class Bench:
    """Keys, aliases and ciphertexts prepared so that every action can be called once, in any order."""

    key: str
    version: str
    arn: str
    other_key: str
    disabled_key: str
    spare_key: str
    pending_key: str
    rsa_encrypt_key: str
    rsa_encrypt_version: str
    rsa_sign_key: str
    rsa_sign_version: str
    ciphertext: str
    rsa_ciphertext: str
    digest: str
    signature: str
    instance: str
    secret: str
    rotatable_secret: str
    doomed_secret: str
    pending_secret: str


def _prepare(server: RunningServer) -> Bench:
    root = server.client()
    key = _create(root)
    rsa_enc = _create(root, KeySpec="RSA_2048", KeyUsage="ENCRYPT/DECRYPT")
    rsa_sign = _create(root, KeySpec="RSA_2048", KeyUsage="SIGN/VERIFY")
    other, disabled, spare, pending = (_create(root)["KeyId"] for _ in range(4))
    root.call("DisableKey", {"KeyId": disabled})
    root.call("ScheduleKeyDeletion", {"KeyId": pending, "PendingWindowInDays": 7})
    root.call("CreateAlias", {"AliasName": "alias/wire", "KeyId": key["KeyId"]})
    root.call("CreateAlias", {"AliasName": "alias/wire-gone", "KeyId": key["KeyId"]})
    root.call("TagResource", {"KeyId": key["KeyId"], "Tags": '[{"TagKey":"team","TagValue":"vigil"}]'})
    digest = base64.b64encode(hashlib.sha256(b"wire").digest()).decode()
    rsa_args = {"KeyId": rsa_enc["KeyId"], "Algorithm": "RSAES_OAEP_SHA_256", "Plaintext": "aGVsbG8="}
    sign_args = {"KeyId": rsa_sign["KeyId"], "Algorithm": "RSA_PSS_SHA_256", "Digest": digest}
    return Bench(
        key=key["KeyId"],
        version=key["PrimaryKeyVersion"],
        arn=key["Arn"],
        other_key=other,
        disabled_key=disabled,
        spare_key=spare,
        pending_key=pending,
        rsa_encrypt_key=rsa_enc["KeyId"],
        rsa_encrypt_version=rsa_enc["PrimaryKeyVersion"],
        rsa_sign_key=rsa_sign["KeyId"],
        rsa_sign_version=rsa_sign["PrimaryKeyVersion"],
        ciphertext=root.call("Encrypt", {"KeyId": key["KeyId"], "Plaintext": "aGVsbG8="})["CiphertextBlob"],
        rsa_ciphertext=root.call("AsymmetricEncrypt", rsa_args)["CiphertextBlob"],
        digest=digest,
        signature=root.call("AsymmetricSign", sign_args)["Value"],
        instance=key["DKMSInstanceId"],
        **_prepare_secrets(root),
    )


def _prepare_secrets(root: VigilClient) -> dict[str, str]:
    """A versioned secret, a RAMCredentials secret that really rotates, and two to delete and restore."""
    root.call("CreateSecret", {"SecretName": "wire-secret", "SecretData": "one", "VersionId": "v1"})
    root.call("PutSecretValue", {"SecretName": "wire-secret", "SecretData": "two", "VersionId": "v2"})
    root.call("TagResource", {"SecretName": "wire-secret", "Tags": '[{"TagKey":"team","TagValue":"vigil"}]'})
    root.vigil("CreateUser", {"UserName": "wire-ram"})
    pair = root.vigil("CreateAccessKey", {"UserName": "wire-ram"})["AccessKey"]
    ram = {
        "SecretName": "wire-ram-key",
        "SecretType": "RAMCredentials",
        "SecretData": json.dumps({k: pair[k] for k in ("AccessKeyId", "AccessKeySecret")}),
        "ExtendedConfig": json.dumps({"SecretSubType": "RamUserAccessKey", "UserName": "wire-ram"}),
        "VersionId": "v1",
    }
    root.call("CreateSecret", ram)
    for name in ("wire-doomed", "wire-pending"):
        root.call("CreateSecret", {"SecretName": name, "SecretData": "x", "VersionId": "v1"})
    root.call("DeleteSecret", {"SecretName": "wire-pending"})
    return {
        "secret": "wire-secret",
        "rotatable_secret": "wire-ram-key",
        "doomed_secret": "wire-doomed",
        "pending_secret": "wire-pending",
    }


def _create(root: VigilClient, **params: str) -> dict[str, Any]:
    metadata: dict[str, Any] = root.call("CreateKey", params)["KeyMetadata"]
    return metadata


Recipe = Callable[[Bench], dict[str, Any] | None]
"""The SDK request's keyword arguments for one action; None for actions whose SDK method takes none."""

RECIPES: dict[str, Recipe] = {
    "CreateKey": lambda b: {"description": "wire", "key_spec": "Aliyun_AES_256"},
    "DescribeKey": lambda b: {"key_id": b.key},
    "ListKeys": lambda b: {"page_number": 1, "page_size": 5},
    "UpdateKeyDescription": lambda b: {"key_id": b.key, "description": "described"},
    "EnableKey": lambda b: {"key_id": b.disabled_key},
    "DisableKey": lambda b: {"key_id": b.spare_key},
    "ScheduleKeyDeletion": lambda b: {"key_id": b.other_key, "pending_window_in_days": 7},
    "CancelKeyDeletion": lambda b: {"key_id": b.pending_key},
    "SetDeletionProtection": lambda b: {
        "protected_resource_arn": b.arn,
        "enable_deletion_protection": True,
        "deletion_protection_description": "wire",
    },
    "UpdateRotationPolicy": lambda b: {
        "key_id": b.key,
        "enable_automatic_rotation": True,
        "rotation_interval": "604800s",
    },
    "CreateKeyVersion": lambda b: {"key_id": b.key},
    "ListKeyVersions": lambda b: {"key_id": b.key, "page_number": 1, "page_size": 10},
    "DescribeKeyVersion": lambda b: {"key_id": b.key, "key_version_id": b.version},
    "CreateAlias": lambda b: {"alias_name": "alias/wire-new", "key_id": b.key},
    "UpdateAlias": lambda b: {"alias_name": "alias/wire", "key_id": b.key},
    "DeleteAlias": lambda b: {"alias_name": "alias/wire-gone"},
    "ListAliases": lambda b: {"page_number": 1, "page_size": 10},
    "ListAliasesByKeyId": lambda b: {"key_id": b.key},
    "TagResource": lambda b: {"key_id": b.key, "tags": '[{"TagKey":"env","TagValue":"wire"}]'},
    "UntagResource": lambda b: {"key_id": b.key, "tag_keys": '["team"]'},
    "ListResourceTags": lambda b: {"key_id": b.key},
    "TagResources": lambda b: {
        "region_id": REGION,
        "resource_type": "key",
        "resource_id": [b.key],
        "tag": [models.TagResourcesRequestTag(key="stage", value="wire")],
    },
    "UntagResources": lambda b: {
        "region_id": REGION,
        "resource_type": "key",
        "resource_id": [b.key],
        "tag_key": ["stage"],
    },
    "ListTagResources": lambda b: {"region_id": REGION, "resource_type": "key", "resource_id": [b.key]},
    "GetKmsInstance": lambda b: {"kms_instance_id": b.instance},
    "ListKmsInstances": lambda b: {"page_number": 1, "page_size": 10},
    "GetDefaultKmsInstance": lambda b: None,
    "DescribeRegions": lambda b: None,
    "DescribeAccountKmsStatus": lambda b: None,
    "Encrypt": lambda b: {"key_id": "alias/wire", "plaintext": "aGVsbG8=", "encryption_context": {"a": "b"}},
    "Decrypt": lambda b: {"ciphertext_blob": b.ciphertext},
    "GenerateDataKey": lambda b: {"key_id": b.key, "key_spec": "AES_256"},
    "GenerateDataKeyWithoutPlaintext": lambda b: {"key_id": b.key, "number_of_bytes": 16},
    "ReEncrypt": lambda b: {"ciphertext_blob": b.ciphertext, "destination_key_id": b.key},
    "AsymmetricEncrypt": lambda b: {
        "key_id": b.rsa_encrypt_key,
        "key_version_id": b.rsa_encrypt_version,
        "algorithm": "RSAES_OAEP_SHA_256",
        "plaintext": "aGVsbG8=",
    },
    "AsymmetricDecrypt": lambda b: {
        "key_id": b.rsa_encrypt_key,
        "key_version_id": b.rsa_encrypt_version,
        "algorithm": "RSAES_OAEP_SHA_256",
        "ciphertext_blob": b.rsa_ciphertext,
    },
    "AsymmetricSign": lambda b: {
        "key_id": b.rsa_sign_key,
        "key_version_id": b.rsa_sign_version,
        "algorithm": "RSA_PSS_SHA_256",
        "digest": b.digest,
    },
    "AsymmetricVerify": lambda b: {
        "key_id": b.rsa_sign_key,
        "key_version_id": b.rsa_sign_version,
        "algorithm": "RSA_PSS_SHA_256",
        "digest": b.digest,
        "value": b.signature,
    },
    "GetPublicKey": lambda b: {"key_id": b.rsa_sign_key, "key_version_id": b.rsa_sign_version},
    "GetRandomPassword": lambda b: {"password_length": "24", "exclude_punctuation": "true"},
    "CreateSecret": lambda b: {
        "secret_name": "wire-new-secret",
        "secret_data": "s3cret",
        "version_id": "v1",
        "tags": '[{"TagKey":"env","TagValue":"wire"}]',
        "extended_config": {"CustomData": {"k": "v"}},
    },
    "GetSecretValue": lambda b: {"secret_name": b.secret, "fetch_extended_config": True},
    "BatchGetSecretValue": lambda b: {
        "secrets_list": [
            models.BatchGetSecretValueRequestSecretsList(secret_name=b.secret, version_stage="ACSPrevious"),
            models.BatchGetSecretValueRequestSecretsList(secret_name="wire-missing"),
        ]
    },
    "PutSecretValue": lambda b: {
        "secret_name": b.secret,
        "version_id": "v3",
        "secret_data": "three",
        "version_stages": '["ACSPending"]',
    },
    "ListSecretVersionIds": lambda b: {"secret_name": b.secret, "include_deprecated": "true"},
    "UpdateSecretVersionStage": lambda b: {
        "secret_name": b.secret,
        "version_stage": "wire",
        "move_to_version": "v1",
    },
    "DescribeSecret": lambda b: {"secret_name": b.secret, "fetch_tags": "true"},
    "ListSecrets": lambda b: {"fetch_tags": "true", "page_number": 1, "page_size": 10},
    "UpdateSecret": lambda b: {
        "secret_name": b.secret,
        "description": "described",
        "extended_config": models.UpdateSecretRequestExtendedConfig(custom_data={"k": "v"}),
    },
    "UpdateSecretRotationPolicy": lambda b: {
        "secret_name": b.rotatable_secret,
        "enable_automatic_rotation": True,
        "rotation_interval": "30d",
    },
    "RotateSecret": lambda b: {"secret_name": b.rotatable_secret, "version_id": "v2"},
    "DeleteSecret": lambda b: {"secret_name": b.doomed_secret, "recovery_window_in_days": "7"},
    "RestoreSecret": lambda b: {"secret_name": b.pending_secret},
}


def served_kms_actions() -> list[str]:
    return [op.name for op in kms_keys.OPERATIONS + kms_crypto.OPERATIONS + kms_secrets.OPERATIONS]


def snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def call_through_sdk(kms: RecordingClient, action: str, kwargs: dict[str, Any] | None) -> Any:
    method = getattr(kms, snake(action))
    if kwargs is None:
        return method()
    return method(getattr(models, f"{action}Request")(**kwargs))


def response_faults(kms: RecordingClient, action: str, response: Any) -> list[str]:
    """What is wrong with one SDK response: the raw body against the model, and the parsed body."""
    raw = kms.last_raw
    if not isinstance(raw, dict):
        return [f"the raw body is {type(raw).__name__}, not a JSON object"]
    faults = shape_faults(raw, f"{action}ResponseBody", sdk_models())
    if "RequestId" not in raw:
        faults.append("$.RequestId: missing")
    body = response.body
    if body is None:
        return [*faults, "resp.body is None: the SDK could not map the answer"]
    as_map = body.to_map()
    if type(body)().from_map(copy.deepcopy(as_map)).to_map() != as_map:
        faults.append("resp.body.to_map() does not survive from_map")
    if not faults and as_map != raw:
        faults.append(f"resp.body.to_map() differs from the raw body: {as_map} != {raw}")
    return faults


def test_every_served_kms_action_has_a_wire_recipe() -> None:
    missing = [action for action in served_kms_actions() if action not in RECIPES]
    assert missing == [], f"add a RECIPES entry for {missing} so its response shape is checked"


@pytest.fixture
def bench(server: RunningServer) -> Bench:
    return _prepare(server)


def test_every_served_kms_action_answers_in_the_sdk_model_shape(server: RunningServer, bench: Bench) -> None:
    kms = recording_client(server)
    faults: dict[str, list[str]] = {}
    for action in served_kms_actions():
        if action not in RECIPES:
            continue
        kms.last_raw = None
        try:
            response = call_through_sdk(kms, action, RECIPES[action](bench))
        except Exception as exc:  # collect every action's failure, not just the first
            faults[action] = [f"the call failed: {type(exc).__name__}: {exc}"]
            continue
        if found := response_faults(kms, action, response):
            faults[action] = found
    assert faults == {}


def test_a_parsed_response_carries_the_nested_wrappers(server: RunningServer, bench: Bench) -> None:
    kms = recording_client(server)
    listed = kms.list_keys(models.ListKeysRequest(page_size=100)).body
    assert kms.last_raw is not None and set(kms.last_raw["Keys"]) == {"Key"}
    assert bench.key in {k.key_id for k in listed.keys.key}
    assert listed.total_count == len(listed.keys.key)
    versions = kms.list_key_versions(models.ListKeyVersionsRequest(key_id=bench.key)).body
    assert [v.key_version_id for v in versions.key_versions.key_version] == [bench.version]
    verified = kms.asymmetric_verify(
        models.AsymmetricVerifyRequest(
            key_id=bench.rsa_sign_key,
            key_version_id=bench.rsa_sign_version,
            algorithm="RSA_PSS_SHA_256",
            digest=bench.digest,
            value=bench.signature,
        )
    ).body
    assert verified.value is True
