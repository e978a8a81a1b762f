"""Key tags through the official SDK: CreateKey Tags, the per-key tag actions and the batch ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_kms20160120 import models
from alibabacloud_tea_openapi.exceptions import ClientException


def fails(call: Callable[[], Any]) -> ClientException:
    """The ClientException a call raises; the test fails if the call succeeds."""
    with pytest.raises(ClientException) as info:
        call()
    return info.value


def tags_json(**tags: str) -> str:
    return json.dumps([{"TagKey": k, "TagValue": v} for k, v in tags.items()])


def create_key(kms: Any, **tags: str) -> str:
    request = models.CreateKeyRequest(tags=tags_json(**tags) if tags else None)
    return str(kms.create_key(request).body.key_metadata.key_id)


def tags_of(kms: Any, key_ref: str) -> dict[str, str]:
    body = kms.list_resource_tags(models.ListResourceTagsRequest(key_id=key_ref)).body
    return {t.tag_key: t.tag_value for t in body.tags.tag}


def tag_resources(kms: Any, key_ids: list[str], **tags: str) -> None:
    tag_list = [models.TagResourcesRequestTag(key=k, value=v) for k, v in tags.items()]
    kms.tag_resources(
        models.TagResourcesRequest(
            region_id="cn-hangzhou", resource_type="key", resource_id=key_ids, tag=tag_list
        )
    )


def list_tag_resources(kms: Any, key_ids: list[str], **tags: str) -> list[tuple[str, str, str, str]]:
    wanted = [models.ListTagResourcesRequestTag(key=k, value=v) for k, v in tags.items()] or None
    body = kms.list_tag_resources(
        models.ListTagResourcesRequest(
            region_id="cn-hangzhou", resource_type="key", resource_id=key_ids, tag=wanted
        )
    ).body
    return sorted(
        (r.resource_id, r.resource_type, r.tag_key, r.tag_value) for r in body.tag_resources.tag_resource
    )


def test_create_key_with_tags_lists_them_with_the_key_id_and_untagged_keys_list_none(kms: Any) -> None:
    key_id = create_key(kms, env="prod", team="payments")
    body = kms.list_resource_tags(models.ListResourceTagsRequest(key_id=key_id)).body
    assert sorted((t.key_id, t.tag_key, t.tag_value) for t in body.tags.tag) == [
        (key_id, "env", "prod"),
        (key_id, "team", "payments"),
    ]
    untagged = create_key(kms)
    assert kms.list_resource_tags(models.ListResourceTagsRequest(key_id=untagged)).body.tags.tag == []


def test_tag_resource_adds_and_overwrites_and_untag_resource_removes_by_id_or_alias(kms: Any) -> None:
    key_id = create_key(kms, env="dev", owner="alice")
    kms.tag_resource(models.TagResourceRequest(key_id=key_id, tags=tags_json(env="prod", tier="gold")))
    assert tags_of(kms, key_id) == {"env": "prod", "owner": "alice", "tier": "gold"}
    kms.untag_resource(models.UntagResourceRequest(key_id=key_id, tag_keys=json.dumps(["owner", "tier"])))
    assert tags_of(kms, key_id) == {"env": "prod"}
    kms.create_alias(models.CreateAliasRequest(alias_name="alias/tagged", key_id=key_id))
    kms.tag_resource(models.TagResourceRequest(key_id="alias/tagged", tags=tags_json(env="qa")))
    assert tags_of(kms, "alias/tagged") == tags_of(kms, key_id) == {"env": "qa"}


def test_tag_resources_tags_several_keys_and_list_tag_resources_shows_them(kms: Any) -> None:
    first, second = create_key(kms), create_key(kms, owner="bob")
    tag_resources(kms, [first, second], env="prod", cost="42")
    assert list_tag_resources(kms, [first, second]) == sorted(
        [
            (first, "key", "cost", "42"),
            (first, "key", "env", "prod"),
            (second, "key", "cost", "42"),
            (second, "key", "env", "prod"),
            (second, "key", "owner", "bob"),
        ]
    )
    assert list_tag_resources(kms, [first, second], owner="bob") == [(second, "key", "owner", "bob")]
    assert list_tag_resources(kms, [first], env="prod") == [(first, "key", "env", "prod")]


def test_untag_resources_removes_named_keys_or_all(kms: Any) -> None:
    first, second = create_key(kms, env="prod", team="a"), create_key(kms, env="dev", team="b")
    kms.untag_resources(
        models.UntagResourcesRequest(
            region_id="cn-hangzhou", resource_type="key", resource_id=[first, second], tag_key=["env"]
        )
    )
    assert (tags_of(kms, first), tags_of(kms, second)) == ({"team": "a"}, {"team": "b"})
    kms.untag_resources(
        models.UntagResourcesRequest(
            region_id="cn-hangzhou", resource_type="key", resource_id=[first], all=True
        )
    )
    assert (tags_of(kms, first), tags_of(kms, second)) == ({}, {"team": "b"})


def test_malformed_tags_are_invalid_parameters(kms: Any) -> None:
    key_id = create_key(kms)
    for tags in ('{"TagKey":"env"}', '[{"Key":"env"}]', "[not json", tags_json(**{"acs:owner": "x"})):
        err = fails(lambda tags=tags: kms.tag_resource(models.TagResourceRequest(key_id=key_id, tags=tags)))
        assert (err.code, err.status_code) == ("InvalidParameter", 400), tags
        assert "Tag" in err.message
        err = fails(lambda tags=tags: kms.create_key(models.CreateKeyRequest(tags=tags)))
        assert err.code == "InvalidParameter", tags
    assert tags_of(kms, key_id) == {}
    assert kms.list_keys(models.ListKeysRequest()).body.total_count == 1


def test_a_key_carries_at_most_twenty_tags(kms: Any) -> None:
    key_id = create_key(kms, **{f"k{n}": "v" for n in range(20)})
    err = fails(lambda: kms.tag_resource(models.TagResourceRequest(key_id=key_id, tags=tags_json(extra="v"))))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "20" in err.message
    assert len(tags_of(kms, key_id)) == 20


def test_batch_tag_actions_reject_other_resource_types_and_unknown_keys(kms: Any) -> None:
    key_id = create_key(kms)
    err = fails(
        lambda: kms.tag_resources(
            models.TagResourcesRequest(
                region_id="cn-hangzhou",
                resource_type="secret",
                resource_id=[key_id],
                tag=[models.TagResourcesRequestTag(key="env", value="prod")],
            )
        )
    )
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert "ResourceType" in err.message
    err = fails(lambda: tag_resources(kms, [key_id, "key-doesnotexist0000000"], env="prod"))
    assert (err.code, err.status_code) == ("Forbidden.KeyNotFound", 404)
    err = fails(lambda: tag_resources(kms, [key_id]))
    assert (err.code, err.status_code) == ("InvalidParameter", 400)
    assert tags_of(kms, key_id) == {}
