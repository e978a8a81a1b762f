"""Vigil's own operations (version 2026-11-01): identity administration and the test clock.

They travel over the same POP transport and signatures as KMS, so the CLI, the Python
client and any Alibaba SDK's generic ``call_api`` can use them.
"""

from __future__ import annotations

import base64
from typing import Any

from vigil.clock import iso
from vigil.dialects.alibaba.pop import Params
from vigil.errors import InvalidArgument
from vigil.http.calls import CallContext, Operation
from vigil.iam.model import AccessKey, User

VERSION = "2026-11-01"
Result = dict[str, Any]


def _user(u: User) -> Result:
    return {
        "UserName": u.user_name,
        "UserId": u.user_id,
        "DisplayName": u.display_name,
        "Comments": u.comments,
        "CreateDate": iso(u.created_at),
    }


def _access_key(k: AccessKey) -> Result:
    return {
        "AccessKeyId": k.access_key_id,
        "Status": k.status.value,
        "CreateDate": iso(k.created_at),
        "UserName": k.user_name or "",
    }


def _policy(row: dict[str, Any]) -> Result:
    out = {
        "PolicyName": row["policy_name"],
        "Description": row["description"],
        "CreateDate": iso(row["created_at"]),
        "UpdateDate": iso(row["updated_at"]),
    }
    if "document" in row:
        out["PolicyDocument"] = row["document"]
    if "attached_users" in row:
        out["AttachedUsers"] = {"UserName": row["attached_users"]}
    return out


def user_resource(ctx: CallContext, p: Params) -> str:
    return f"acs:ram::{ctx.account_id}:user/{p.str('UserName') or '*'}"


def policy_resource(ctx: CallContext, p: Params) -> str:
    return f"acs:ram::{ctx.account_id}:policy/{p.str('PolicyName') or '*'}"


def get_caller_identity(ctx: CallContext, _: Params) -> Result:
    ctx.authorized = True  # everyone may ask who they are
    account = ctx.services.iam.account
    pr = ctx.principal
    return {
        "AccountId": pr.account_id,
        "UserId": pr.principal_id,
        "UserName": pr.user_name or "",
        "IdentityType": pr.identity_type,
        "AccessKeyId": pr.access_key_id or "",
        "Arn": f"acs:ram::{pr.account_id}:{'root' if pr.is_root else 'user/' + (pr.user_name or '')}",
        "RegionId": account.region,
        "ProjectId": account.project_id,
        "DefaultKmsInstanceId": ctx.services.instances.default(pr.account_id).instance_id,
    }


def create_user(ctx: CallContext, p: Params) -> Result:
    user = ctx.services.iam.create_user(
        ctx.account_id, p.required("UserName"), p.str("DisplayName", "") or "", p.str("Comments", "") or ""
    )
    return {"User": _user(user)}


def get_user(ctx: CallContext, p: Params) -> Result:
    return {"User": _user(ctx.services.iam.get_user(ctx.account_id, p.required("UserName")))}


def list_users(ctx: CallContext, _: Params) -> Result:
    return {"Users": {"User": [_user(u) for u in ctx.services.iam.list_users(ctx.account_id)]}}


def delete_user(ctx: CallContext, p: Params) -> Result:
    ctx.services.iam.delete_user(ctx.account_id, p.required("UserName"))
    return {}


def create_access_key(ctx: CallContext, p: Params) -> Result:
    key, secret = ctx.services.iam.create_access_key(ctx.account_id, p.str("UserName"))
    return {"AccessKey": {**_access_key(key), "AccessKeySecret": secret}}


def list_access_keys(ctx: CallContext, p: Params) -> Result:
    keys = ctx.services.iam.list_access_keys(ctx.account_id, p.str("UserName"))
    return {"AccessKeys": {"AccessKey": [_access_key(k) for k in keys]}}


def update_access_key(ctx: CallContext, p: Params) -> Result:
    key = ctx.services.iam.update_access_key(
        ctx.account_id, p.required("UserAccessKeyId"), p.required("Status")
    )
    return {"AccessKey": _access_key(key)}


def delete_access_key(ctx: CallContext, p: Params) -> Result:
    ctx.services.iam.delete_access_key(ctx.account_id, p.required("UserAccessKeyId"))
    return {}


def create_policy(ctx: CallContext, p: Params) -> Result:
    name = p.required("PolicyName")
    ctx.services.iam.create_policy(
        ctx.account_id, name, p.required("PolicyDocument"), p.str("Description", "") or ""
    )
    return {"Policy": _policy(ctx.services.iam.get_policy(ctx.account_id, name))}


def update_policy(ctx: CallContext, p: Params) -> Result:
    name = p.required("PolicyName")
    ctx.services.iam.get_policy(ctx.account_id, name)
    ctx.services.iam.put_policy(
        ctx.account_id, name, p.required("PolicyDocument"), p.str("Description", "") or ""
    )
    return {"Policy": _policy(ctx.services.iam.get_policy(ctx.account_id, name))}


def get_policy(ctx: CallContext, p: Params) -> Result:
    return {"Policy": _policy(ctx.services.iam.get_policy(ctx.account_id, p.required("PolicyName")))}


def list_policies(ctx: CallContext, _: Params) -> Result:
    rows = ctx.services.iam.list_policies(ctx.account_id)
    return {"Policies": {"Policy": [_policy({k: v for k, v in r.items() if k != "document"}) for r in rows]}}


def delete_policy(ctx: CallContext, p: Params) -> Result:
    ctx.services.iam.delete_policy(ctx.account_id, p.required("PolicyName"))
    return {}


def attach_policy_to_user(ctx: CallContext, p: Params) -> Result:
    ctx.services.iam.attach_policy(ctx.account_id, p.required("PolicyName"), p.required("UserName"))
    return {}


def detach_policy_from_user(ctx: CallContext, p: Params) -> Result:
    ctx.services.iam.detach_policy(ctx.account_id, p.required("PolicyName"), p.required("UserName"))
    return {}


def list_policies_for_user(ctx: CallContext, p: Params) -> Result:
    rows = ctx.services.iam.list_user_policies(ctx.account_id, p.required("UserName"))
    return {"Policies": {"Policy": [_policy({k: v for k, v in r.items() if k != "document"}) for r in rows]}}


def get_webhook_signing_key(ctx: CallContext, _: Params) -> Result:
    """The key receivers use to verify X-Vigil-Signature (root only: it authenticates Vigil's webhooks)."""
    ctx.require_root()
    return {
        "SigningKey": base64.b64encode(ctx.services.webhook_key).decode(),
        "Algorithm": "HMAC-SHA256",
        "SignatureHeader": "X-Vigil-Signature",
        "TimestampHeader": "X-Vigil-Timestamp",
    }


def get_clock(ctx: CallContext, _: Params) -> Result:
    ctx.authorized = True
    clock = ctx.services.test_clock
    now = ctx.services.clock.now_ms()
    return {"Now": iso(now), "NowMs": now, "OffsetSeconds": 0 if clock is None else clock.offset_ms // 1000}


def advance_clock(ctx: CallContext, p: Params) -> Result:
    ctx.require_root()
    seconds = p.int("Seconds", lo=0, hi=100 * 366 * 86_400)
    clock = ctx.services.test_clock
    if clock is None:
        raise InvalidArgument("AdvanceClock needs a server started with --test-clock")
    ctx.services.advance_clock(seconds)
    jobs = ctx.services.scheduler.run_due(force=True)
    now = ctx.services.clock.now_ms()
    return {
        "Now": iso(now),
        "NowMs": now,
        "OffsetSeconds": clock.offset_ms // 1000,
        "JobsRun": [{"Name": k, "Items": v} for k, v in sorted(jobs.items())],
    }


def _op(name: str, handler: Any, rw: str, resource: Any = None) -> Operation:
    return Operation("Vigil", name, handler, rw, True, resource)


OPERATIONS = [
    _op("GetCallerIdentity", get_caller_identity, "Read"),
    _op("CreateUser", create_user, "Write", user_resource),
    _op("GetUser", get_user, "Read", user_resource),
    _op("ListUsers", list_users, "Read", user_resource),
    _op("DeleteUser", delete_user, "Write", user_resource),
    _op("CreateAccessKey", create_access_key, "Write", user_resource),
    _op("ListAccessKeys", list_access_keys, "Read", user_resource),
    _op("UpdateAccessKey", update_access_key, "Write", user_resource),
    _op("DeleteAccessKey", delete_access_key, "Write", user_resource),
    _op("CreatePolicy", create_policy, "Write", policy_resource),
    _op("UpdatePolicy", update_policy, "Write", policy_resource),
    _op("GetPolicy", get_policy, "Read", policy_resource),
    _op("ListPolicies", list_policies, "Read", policy_resource),
    _op("DeletePolicy", delete_policy, "Write", policy_resource),
    _op("AttachPolicyToUser", attach_policy_to_user, "Write", policy_resource),
    _op("DetachPolicyFromUser", detach_policy_from_user, "Write", policy_resource),
    _op("ListPoliciesForUser", list_policies_for_user, "Read", user_resource),
    _op("GetWebhookSigningKey", get_webhook_signing_key, "Read"),
]

TEST_CLOCK_OPERATIONS = [
    _op("GetClock", get_clock, "Read"),
    _op("AdvanceClock", advance_clock, "Write"),
]
