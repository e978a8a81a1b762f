"""KMS 2016-01-20 key management actions: keys, versions, rotation, deletion, aliases, tags, instances.

Thin translations between POP parameters / response shapes and the key service.
"""

from __future__ import annotations

from typing import Any

from vigil.clock import iso
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument
from vigil.http.calls import CallContext, Operation
from vigil.keys.model import Key, KeyVersion, parse_rotation_interval
from vigil.keys.service import NewKey
from vigil.keys.specs import KeySpec, KeyUsage, parse_key_spec, parse_key_usage

Result = dict[str, Any]


def key_metadata(ctx: CallContext, key: Key) -> Result:
    return {
        "Arn": ctx.arn("key", key.key_id),
        "AutomaticRotation": key.automatic_rotation,
        "CreationDate": iso(key.created_at),
        "Creator": key.creator,
        "DKMSInstanceId": key.instance_id,
        "DeleteDate": iso(key.delete_date),
        "DeletionProtection": "Enabled" if key.deletion_protection else "Disabled",
        "DeletionProtectionDescription": key.deletion_protection_description,
        "Description": key.description,
        "KeyId": key.key_id,
        "KeySpec": key.spec.value,
        "KeyState": key.state.value,
        "KeyUsage": key.usage.value,
        "LastRotationDate": iso(key.last_rotation_at),
        "MaterialExpireTime": "",
        "NextRotationDate": iso(key.next_rotation_at),
        "Origin": key.origin,
        "PrimaryKeyVersion": key.primary_version_id,
        "ProtectionLevel": key.protection_level,
        "RotationInterval": f"{key.rotation_interval_s}s" if key.rotation_interval_s else "",
    }


def key_resource(ctx: CallContext, p: Params) -> str:
    """The ARN of the key a KeyId parameter names (aliases resolved)."""
    key = ctx.services.keys.resolve(ctx.account_id, p.required("KeyId"))
    return ctx.arn("key", key.key_id)


def any_key(ctx: CallContext, _: Params) -> str:
    return ctx.arn("key", "*")


def page(p: Params) -> tuple[int, int]:
    return p.int("PageNumber", 1, lo=1, hi=1_000_000), p.int("PageSize", 10, lo=1, hi=100)


def _version(v: KeyVersion) -> Result:
    return {"KeyId": v.key_id, "KeyVersionId": v.version_id, "CreationDate": iso(v.created_at)}


def tags_param(p: Params, name: str = "Tags") -> dict[str, str]:
    raw = p.json(name)
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(t, dict) and "TagKey" in t for t in raw):
        raise InvalidArgument(f'{name} must be a JSON list like [{{"TagKey":"env","TagValue":"prod"}}]')
    return {str(t["TagKey"]): str(t.get("TagValue", "")) for t in raw}


def _filters(p: Params) -> dict[str, list[str]]:
    raw = p.json("Filters")
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(
        isinstance(f, dict) and isinstance(f.get("Values"), list) for f in raw
    ):
        raise InvalidArgument('Filters must be a JSON list like [{"Key":"KeyState","Values":["Enabled"]}]')
    return {str(f.get("Key")): [str(v) for v in f["Values"]] for f in raw}


# -- keys ------------------------------------------------------------------------------------


def create_key(ctx: CallContext, p: Params) -> Result:
    spec = parse_key_spec(p.str("KeySpec", KeySpec.Aliyun_AES_256.value) or "")
    usage = parse_key_usage(p.str("KeyUsage", KeyUsage.ENCRYPT_DECRYPT.value) or "")
    origin = p.str("Origin", "Aliyun_KMS")
    if origin != "Aliyun_KMS":
        raise InvalidArgument(
            f"Origin {origin!r} is not supported; Vigil generates key material (Aliyun_KMS)"
        )
    interval = p.str("RotationInterval")
    new = NewKey(
        spec,
        usage,
        p.str("Description", "", max_len=8192) or "",
        p.str("DKMSInstanceId"),
        "Aliyun_KMS",
        p.str("ProtectionLevel", "SOFTWARE") or "SOFTWARE",
        p.bool("EnableAutomaticRotation"),
        parse_rotation_interval(interval) if interval else None,
        tags_param(p),
    )
    key = ctx.services.keys.create_key(ctx.account_id, ctx.principal.principal_id, new)
    metadata = key_metadata(ctx, key)
    # CreateKey's SDK model, unlike DescribeKey's, has no deletion-protection fields.
    del metadata["DeletionProtection"], metadata["DeletionProtectionDescription"]
    return {"KeyMetadata": metadata}


def describe_key(ctx: CallContext, p: Params) -> Result:
    return {
        "KeyMetadata": key_metadata(ctx, ctx.services.keys.describe_key(ctx.account_id, p.required("KeyId")))
    }


def list_keys(ctx: CallContext, p: Params) -> Result:
    number, size = page(p)
    keys, total = ctx.services.keys.list_keys(ctx.account_id, _filters(p), number, size)
    items = [{"KeyId": k.key_id, "KeyArn": ctx.arn("key", k.key_id)} for k in keys]
    return {"Keys": {"Key": items}, "PageNumber": number, "PageSize": size, "TotalCount": total}


def update_key_description(ctx: CallContext, p: Params) -> Result:
    description = p.raw.get("Description", "")
    ctx.services.keys.update_key_description(ctx.account_id, p.required("KeyId"), description)
    return {}


def enable_key(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.enable_key(ctx.account_id, p.required("KeyId"))
    return {}


def disable_key(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.disable_key(ctx.account_id, p.required("KeyId"))
    return {}


def schedule_key_deletion(ctx: CallContext, p: Params) -> Result:
    days = p.int("PendingWindowInDays")
    ctx.services.keys.schedule_key_deletion(ctx.account_id, p.required("KeyId"), days)
    return {}


def cancel_key_deletion(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.cancel_key_deletion(ctx.account_id, p.required("KeyId"))
    return {}


def set_deletion_protection(ctx: CallContext, p: Params) -> Result:
    arn = p.required("ProtectedResourceArn")
    if ":key/" not in arn:
        raise InvalidArgument(
            f"ProtectedResourceArn {arn!r} is not a key ARN (acs:kms:<region>:<uid>:key/<id>)"
        )
    key = ctx.services.keys.resolve(ctx.account_id, arn)
    ctx.authorize(ctx.arn("key", key.key_id))
    ctx.services.keys.set_deletion_protection(
        ctx.account_id,
        key.key_id,
        p.bool("EnableDeletionProtection"),
        p.str("DeletionProtectionDescription", "") or "",
    )
    return {}


def update_rotation_policy(ctx: CallContext, p: Params) -> Result:
    enabled = p.bool("EnableAutomaticRotation")
    interval = p.str("RotationInterval")
    seconds = parse_rotation_interval(interval) if interval else None
    ctx.services.keys.update_rotation_policy(ctx.account_id, p.required("KeyId"), enabled, seconds)
    return {}


# -- versions --------------------------------------------------------------------------------


def create_key_version(ctx: CallContext, p: Params) -> Result:
    return {"KeyVersion": _version(ctx.services.keys.create_key_version(ctx.account_id, p.required("KeyId")))}


def list_key_versions(ctx: CallContext, p: Params) -> Result:
    number, size = page(p)
    versions, total = ctx.services.keys.list_key_versions(ctx.account_id, p.required("KeyId"), number, size)
    return {
        "KeyVersions": {"KeyVersion": [_version(v) for v in versions]},
        "PageNumber": number,
        "PageSize": size,
        "TotalCount": total,
    }


def describe_key_version(ctx: CallContext, p: Params) -> Result:
    version = ctx.services.keys.describe_key_version(
        ctx.account_id, p.required("KeyId"), p.required("KeyVersionId")
    )
    return {"KeyVersion": _version(version)}


# -- aliases ---------------------------------------------------------------------------------


def create_alias(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.create_alias(ctx.account_id, p.required("AliasName"), p.required("KeyId"))
    return {}


def update_alias(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.update_alias(ctx.account_id, p.required("AliasName"), p.required("KeyId"))
    return {}


def delete_alias(ctx: CallContext, p: Params) -> Result:
    ctx.services.keys.delete_alias(ctx.account_id, p.required("AliasName"))
    return {}


def alias_arn(ctx: CallContext, alias_name: str) -> str:
    """acs:kms:<region>:<uid>:alias/example for alias/example, as Alibaba KMS writes it."""
    return ctx.arn("alias", alias_name.removeprefix("alias/"))


def alias_resource(ctx: CallContext, p: Params) -> str:
    return alias_arn(ctx, p.required("AliasName"))


def _alias_page(ctx: CallContext, p: Params, key_ref: str | None) -> Result:
    number, size = page(p)
    aliases, total = ctx.services.keys.list_aliases(ctx.account_id, key_ref, number, size)
    items = [
        {"AliasName": a.alias_name, "AliasArn": alias_arn(ctx, a.alias_name), "KeyId": a.key_id}
        for a in aliases
    ]
    return {"Aliases": {"Alias": items}, "PageNumber": number, "PageSize": size, "TotalCount": total}


def list_aliases(ctx: CallContext, p: Params) -> Result:
    return _alias_page(ctx, p, None)


def list_aliases_by_key_id(ctx: CallContext, p: Params) -> Result:
    return _alias_page(ctx, p, p.required("KeyId"))


# -- tags ------------------------------------------------------------------------------------


def tagged_resource(ctx: CallContext, p: Params) -> str:
    """The ARN of the key (KeyId) or the secret (SecretName) a per-resource tag action names."""
    secret_name = p.str("SecretName")
    if secret_name is None:
        return key_resource(ctx, p)
    if p.str("KeyId") is not None:
        raise InvalidArgument("give KeyId or SecretName, not both")
    return ctx.arn("secret", secret_name)


def tag_resource(ctx: CallContext, p: Params) -> Result:
    secret_name = p.str("SecretName")
    if secret_name is not None:
        ctx.services.secrets.tag_secret(ctx.account_id, secret_name, tags_param(p))
    else:
        ctx.services.keys.tag_key(ctx.account_id, p.required("KeyId"), tags_param(p))
    return {}


def untag_resource(ctx: CallContext, p: Params) -> Result:
    keys = p.json("TagKeys")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InvalidArgument('TagKeys must be a JSON list of tag keys, e.g. ["env"]')
    secret_name = p.str("SecretName")
    if secret_name is not None:
        ctx.services.secrets.untag_secret(ctx.account_id, secret_name, keys)
    else:
        ctx.services.keys.untag_key(ctx.account_id, p.required("KeyId"), keys)
    return {}


def list_resource_tags(ctx: CallContext, p: Params) -> Result:
    secret_name = p.str("SecretName")
    if secret_name is not None:
        secret = ctx.services.secrets.describe_secret(ctx.account_id, secret_name)
        tags = ctx.services.secrets.secret_tags(ctx.account_id, secret.name)
        return {"Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]}}
    key = ctx.services.keys.resolve(ctx.account_id, p.required("KeyId"))
    tags = ctx.services.keys.key_tags(ctx.account_id, key.key_id)
    return {"Tags": {"Tag": [{"KeyId": key.key_id, "TagKey": k, "TagValue": v} for k, v in tags.items()]}}


def _resource_ids(ctx: CallContext, p: Params) -> list[str]:
    kind = (p.str("ResourceType", "key") or "key").lower()
    if kind != "key":
        raise InvalidArgument(f"ResourceType {kind!r} is not supported here; use key")
    ids = p.list("ResourceId")
    if not ids:
        raise InvalidArgument("ResourceId.1 is mandatory for this action")
    for key_id in ids:
        ctx.authorize(ctx.arn("key", ctx.services.keys.resolve(ctx.account_id, key_id).key_id))
    return ids


def tag_resources(ctx: CallContext, p: Params) -> Result:
    tags = {str(t.get("Key", "")): str(t.get("Value", "")) for t in p.objects("Tag")}
    if not tags:
        raise InvalidArgument("Tag.1.Key is mandatory for this action")
    for key_id in _resource_ids(ctx, p):
        ctx.services.keys.tag_key(ctx.account_id, key_id, tags)
    return {}


def untag_resources(ctx: CallContext, p: Params) -> Result:
    for key_id in _resource_ids(ctx, p):
        keys = list(ctx.services.keys.key_tags(ctx.account_id, key_id)) if p.bool("All") else p.list("TagKey")
        ctx.services.keys.untag_key(ctx.account_id, key_id, keys)
    return {}


def list_tag_resources(ctx: CallContext, p: Params) -> Result:
    wanted = {str(t.get("Key", "")): t.get("Value") for t in p.objects("Tag")}
    items = []
    for key_id in _resource_ids(ctx, p):
        for k, v in ctx.services.keys.key_tags(ctx.account_id, key_id).items():
            if not wanted or (k in wanted and wanted[k] in (None, v)):
                items.append({"ResourceId": key_id, "ResourceType": "key", "TagKey": k, "TagValue": v})
    return {"TagResources": {"TagResource": items}, "NextToken": ""}


# -- instances and account -------------------------------------------------------------------


def get_kms_instance(ctx: CallContext, p: Params) -> Result:
    inst = ctx.services.instances.get(ctx.account_id, p.required("KmsInstanceId"))
    ctx.authorize(ctx.arn("instance", inst.instance_id))
    return {
        "KmsInstance": {
            "InstanceId": inst.instance_id,
            "InstanceName": inst.name,
            "Status": "Connected",
            "CreateTime": iso(inst.created_at),
            "StartDate": iso(inst.created_at),
            "EndDate": "",
            "KeyNum": inst.quotas.keys,
            "SecretNum": str(inst.quotas.secrets),
            "Spec": inst.quotas.qps,
            "LogStorage": inst.quotas.log_storage_gb,
            "Log": 1,
            "ProductType": "software",
            "ProductVersion": "3",
            "ChargeType": "Subscription",
            "SaleStatus": "Normal",
            "DeletionProtection": False,
            "DeletionProtectionDescription": "",
            "VpcNum": 0,
            "VpcId": "",
            "VswitchIds": [],
            "ZoneIds": [],
            "BindVpcs": {"BindVpc": []},
            "CaCertificateChainPem": "",
        }
    }


def list_kms_instances(ctx: CallContext, p: Params) -> Result:
    number, size = page(p)
    instances = ctx.services.instances.list(ctx.account_id)
    chunk = instances[(number - 1) * size : number * size]
    items = [
        {"KmsInstanceId": i.instance_id, "KmsInstanceArn": ctx.arn("instance", i.instance_id)} for i in chunk
    ]
    return {
        "KmsInstances": {"KmsInstance": items},
        "PageNumber": number,
        "PageSize": size,
        "TotalCount": len(instances),
    }


def get_default_kms_instance(ctx: CallContext, _: Params) -> Result:
    return {"DefaultKmsInstanceId": ctx.services.instances.default(ctx.account_id).instance_id}


def describe_regions(ctx: CallContext, _: Params) -> Result:
    return {"Regions": {"Region": [{"RegionId": ctx.region}]}}


def describe_account_kms_status(_: CallContext, __: Params) -> Result:
    return {"AccountStatus": "Enabled"}


def _instance_any(ctx: CallContext, _: Params) -> str:
    return ctx.arn("instance", "*")


def _op(name: str, handler: Any, rw: str, resource: Any = None) -> Operation:
    return Operation("Kms", name, handler, rw, True, resource)


OPERATIONS = [
    _op("CreateKey", create_key, "Write", any_key),
    _op("DescribeKey", describe_key, "Read", key_resource),
    _op("ListKeys", list_keys, "Read", any_key),
    _op("UpdateKeyDescription", update_key_description, "Write", key_resource),
    _op("EnableKey", enable_key, "Write", key_resource),
    _op("DisableKey", disable_key, "Write", key_resource),
    _op("ScheduleKeyDeletion", schedule_key_deletion, "Write", key_resource),
    _op("CancelKeyDeletion", cancel_key_deletion, "Write", key_resource),
    _op("SetDeletionProtection", set_deletion_protection, "Write"),
    _op("UpdateRotationPolicy", update_rotation_policy, "Write", key_resource),
    _op("CreateKeyVersion", create_key_version, "Write", key_resource),
    _op("ListKeyVersions", list_key_versions, "Read", key_resource),
    _op("DescribeKeyVersion", describe_key_version, "Read", key_resource),
    _op("CreateAlias", create_alias, "Write", key_resource),
    _op("UpdateAlias", update_alias, "Write", key_resource),
    _op("DeleteAlias", delete_alias, "Write", alias_resource),
    _op("ListAliases", list_aliases, "Read", any_key),
    _op("ListAliasesByKeyId", list_aliases_by_key_id, "Read", key_resource),
    _op("TagResource", tag_resource, "Write", tagged_resource),
    _op("UntagResource", untag_resource, "Write", tagged_resource),
    _op("ListResourceTags", list_resource_tags, "Read", tagged_resource),
    _op("TagResources", tag_resources, "Write"),
    _op("UntagResources", untag_resources, "Write"),
    _op("ListTagResources", list_tag_resources, "Read"),
    _op("GetKmsInstance", get_kms_instance, "Read"),
    _op("ListKmsInstances", list_kms_instances, "Read", _instance_any),
    _op("GetDefaultKmsInstance", get_default_kms_instance, "Read", _instance_any),
    _op("DescribeRegions", describe_regions, "Read", _instance_any),
    _op("DescribeAccountKmsStatus", describe_account_kms_status, "Read", _instance_any),
]
