"""The pure rules of the key lifecycle: deletion schedules, rotation intervals and state transitions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vigil.clock import DAY_MS
from vigil.errors import InvalidArgument
from vigil.keys import model
from vigil.keys.model import Key, KeyState
from vigil.keys.specs import KeySpec, KeyUsage

NOW = 1_767_225_600_000


def make_key(**changes: object) -> Key:
    key = Key(
        "key-x",
        "1" * 16,
        "kst-x",
        "",
        KeySpec.Aliyun_AES_256,
        KeyUsage.ENCRYPT_DECRYPT,
        "Aliyun_KMS",
        "SOFTWARE",
        KeyState.ENABLED,
        "1" * 16,
        NOW,
        NOW,
        None,
        None,
        "v1",
        "Disabled",
        None,
        NOW,
        None,
        False,
        "",
    )
    return replace(key, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "expected"),
    [(7, NOW + 7 * DAY_MS), (30, NOW + 30 * DAY_MS), (366, NOW + 366 * DAY_MS)],
    ids=["minimum", "month", "maximum"],
)
def test_deletion_date_is_the_window_after_now(days: int, expected: int) -> None:
    assert model.deletion_date(NOW, days) == expected


@pytest.mark.parametrize("days", [-1, 0, 6, 367, 10_000], ids=["negative", "zero", "six", "367", "huge"])
def test_deletion_windows_outside_7_to_366_days_are_refused(days: int) -> None:
    with pytest.raises(InvalidArgument, match="PendingWindowInDays"):
        model.deletion_date(NOW, days)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 604_800), ("604800s", 604_800), ("168h", 604_800), ("10080m", 604_800), ("730d", 730 * 86_400)],
    ids=["days", "seconds", "hours", "minutes", "maximum"],
)
def test_rotation_intervals_accept_every_unit(text: str, seconds: int) -> None:
    assert model.parse_rotation_interval(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["1d", "731d", "7", "7w", "", "d7", "-7d"],
    ids=["too-short", "too-long", "no-unit", "weeks", "empty", "unit-first", "negative"],
)
def test_bad_rotation_intervals_are_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="RotationInterval"):
        model.parse_rotation_interval(text)


TRANSITIONS = [
    ("enable-disabled", KeyState.DISABLED, lambda k: model.enable(k, NOW + 1), KeyState.ENABLED, None),
    ("disable-enabled", KeyState.ENABLED, lambda k: model.disable(k, NOW + 1), KeyState.DISABLED, None),
    (
        "schedule-enabled",
        KeyState.ENABLED,
        lambda k: model.schedule_deletion(k, 7, NOW + 1),
        KeyState.PENDING_DELETION,
        None,
    ),
    (
        "schedule-disabled",
        KeyState.DISABLED,
        lambda k: model.schedule_deletion(k, 7, NOW + 1),
        KeyState.PENDING_DELETION,
        None,
    ),
    (
        "cancel-pending",
        KeyState.PENDING_DELETION,
        lambda k: model.cancel_deletion(k, NOW + 1),
        KeyState.ENABLED,
        None,
    ),
    (
        "enable-pending",
        KeyState.PENDING_DELETION,
        lambda k: model.enable(k, NOW + 1),
        None,
        model.KeyPendingDeletion,
    ),
    (
        "schedule-twice",
        KeyState.PENDING_DELETION,
        lambda k: model.schedule_deletion(k, 7, NOW + 1),
        None,
        model.KeyPendingDeletion,
    ),
    (
        "cancel-enabled",
        KeyState.ENABLED,
        lambda k: model.cancel_deletion(k, NOW + 1),
        None,
        model.KeyStateInvalid,
    ),
    ("enable-deleted", KeyState.DELETED, lambda k: model.enable(k, NOW + 1), None, model.KeyNotFound),
]


@pytest.mark.parametrize(
    ("start", "step", "end", "error"), [t[1:] for t in TRANSITIONS], ids=[t[0] for t in TRANSITIONS]
)
def test_state_transitions(start: KeyState, step: object, end: KeyState | None, error: type | None) -> None:
    key = make_key(state=start)
    if error is not None:
        with pytest.raises(error):
            step(key)  # type: ignore[operator]
        return
    assert step(key).state is end  # type: ignore[operator]


def test_deletion_protection_blocks_scheduling() -> None:
    with pytest.raises(model.DeletionProtected):
        model.schedule_deletion(make_key(deletion_protection=True), 7, NOW)


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (KeyState.DISABLED, model.KeyDisabled),
        (KeyState.PENDING_DELETION, model.KeyPendingDeletion),
        (KeyState.DELETED, model.KeyNotFound),
    ],
    ids=["disabled", "pending", "deleted"],
)
def test_only_enabled_keys_may_be_used(state: KeyState, error: type) -> None:
    with pytest.raises(error) as caught:
        model.require_state_for_use(make_key(state=state))
    assert caught.value.code in ("Rejected.Disabled", "Rejected.PendingDeletion", "Forbidden.KeyNotFound")


def test_rotation_counts_the_next_interval_from_now() -> None:
    key = model.set_rotation_policy(make_key(), True, 7 * 86_400, NOW)
    assert key.next_rotation_at == NOW + 7 * DAY_MS
    rotated = model.rotate(key, "v2", NOW + 7 * DAY_MS)
    assert rotated.primary_version_id == "v2"
    assert rotated.next_rotation_at == NOW + 14 * DAY_MS


def test_destroyed_keys_keep_metadata_but_stop_rotating() -> None:
    key = model.set_rotation_policy(make_key(state=KeyState.PENDING_DELETION), True, 7 * 86_400, NOW)
    gone = model.destroy(key, NOW + 1)
    assert gone.state is KeyState.DELETED and gone.destroyed_at == NOW + 1
    assert gone.next_rotation_at is None and gone.key_id == "key-x"
