"""The key service: lifecycle, versions and rotation, deletion windows, aliases and tags.

Each change is a pure transition from ``keys.model`` followed by a write in one
transaction; the key ring is told about the new state afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from vigil import ids
from vigil.audit.model import ServiceEvents
from vigil.clock import Clock, iso
from vigil.errors import AlreadyExists, InvalidArgument, Unavailable
from vigil.instances.quotas import Quota
from vigil.instances.service import InstanceService
from vigil.keys import model, store
from vigil.keys.crypto import Random, generate_material
from vigil.keys.keyring import KeyRing, material_aad
from vigil.keys.model import Alias, AliasNotFound, Key, KeyNotFound, KeyState, KeyVersion, KeyVersionNotFound
from vigil.keys.specs import KeySpec, KeyUsage, allowed_usages, is_symmetric
from vigil.keys.wrapping import RootKey
from vigil.storage.engine import Conflict, Database, Tx

if TYPE_CHECKING:
    from vigil.events.service import EventCenter

TAG_RESOURCE = "key"
MAX_TAGS = 20


@dataclass(frozen=True, slots=True)
class NewKey:
    """What CreateKey asks for, already parsed."""

    spec: KeySpec
    usage: KeyUsage
    description: str = ""
    instance_id: str | None = None
    origin: str = "Aliyun_KMS"
    protection_level: str = "SOFTWARE"
    automatic_rotation: bool = False
    rotation_interval_s: int | None = None
    tags: Mapping[str, str] | None = None


class KeyService:
    def __init__(
        self,
        db: Database,
        root_key: RootKey,
        clock: Clock,
        instances: InstanceService,
        keyring: KeyRing,
        rng: Random,
    ) -> None:
        self._db = db
        self._root_key = root_key
        self._clock = clock
        self._instances = instances
        self.keyring = keyring
        self._rng = rng
        self.events: EventCenter | None = None
        self.audit: ServiceEvents | None = None

    # -- resolution ----------------------------------------------------------------------

    def resolve(self, account_id: str, key_ref: str) -> Key:
        """A key by id, ARN or alias name. Raises KeyNotFound / AliasNotFound."""
        key_id = self._key_id(account_id, key_ref)
        key = self.keyring.key(key_id)
        if key.account_id != account_id:
            raise KeyNotFound(f"key {key_ref!r} does not exist")
        return key

    def _key_id(self, account_id: str, key_ref: str) -> str:
        if not key_ref:
            raise InvalidArgument("KeyId must not be empty")
        if key_ref.startswith("acs:kms:"):
            key_ref = key_ref.rsplit("/", 1)[-1] if ":key/" in key_ref else key_ref.split(":", 5)[-1]
        if key_ref.startswith("alias/"):
            with self._db.transaction(write=False) as tx:
                alias = store.get_alias(tx, account_id, key_ref)
            if alias is None:
                raise AliasNotFound(f"alias {key_ref!r} does not exist")
            return alias.key_id
        return key_ref

    # -- lifecycle -----------------------------------------------------------------------

    def create_key(self, account_id: str, creator: str, new: NewKey) -> Key:
        if new.usage not in allowed_usages(new.spec):
            raise InvalidArgument(f"KeyUsage {new.usage} is not valid for KeySpec {new.spec}")
        tags = dict(new.tags or {})
        _check_tags(tags)
        instance = (
            self._instances.get(account_id, new.instance_id)
            if new.instance_id
            else self._instances.default(account_id)
        )
        now = self._clock.now_ms()
        key = model.Key(
            ids.key_id(),
            account_id,
            instance.instance_id,
            new.description,
            new.spec,
            new.usage,
            new.origin,
            new.protection_level,
            KeyState.ENABLED,
            creator,
            now,
            now,
            None,
            None,
            ids.version_id(),
            "Disabled",
            None,
            now,
            None,
            False,
            "",
        )
        if new.automatic_rotation or new.rotation_interval_s:
            key = model.set_rotation_policy(key, new.automatic_rotation, new.rotation_interval_s, now)
        with self._db.transaction() as tx:
            usage = store.count_live_keys(tx, instance.instance_id)
            self._instances.check_room(instance, Quota.KEYS, usage)
            store.insert_key(tx, key)
            self._insert_version(tx, key, key.primary_version_id, now)
            store.set_tags(tx, TAG_RESOURCE, key.key_id, tags)
            self._instances.record_usage(instance, Quota.KEYS, usage + 1)
        self.keyring.put(key)
        return key

    def ensure_managed_key(self, account_id: str, instance_id: str, alias_name: str, description: str) -> Key:
        """A symmetric key Vigil manages for a purpose (e.g. sealing secrets), found by a reserved alias."""
        with self._db.transaction(write=False) as tx:
            alias = store.get_alias(tx, account_id, alias_name)
        if alias is not None:
            return self.keyring.key(alias.key_id)
        key = self.create_key(
            account_id,
            "Vigil",
            NewKey(KeySpec.Aliyun_AES_256, KeyUsage.ENCRYPT_DECRYPT, description, instance_id),
        )
        now = self._clock.now_ms()
        try:
            with self._db.transaction() as tx:
                store.insert_alias(tx, account_id, Alias(alias_name, key.key_id, now, now))
        except Conflict:  # another node won the race; use its key
            with self._db.transaction(write=False) as tx:
                winner = store.get_alias(tx, account_id, alias_name)
            assert winner is not None
            return self.keyring.key(winner.key_id)
        return key

    def _insert_version(self, tx: Tx, key: Key, version_id: str, now: int) -> KeyVersion:
        material = generate_material(key.spec, self._rng)
        wrapped = self._root_key.wrap(material, material_aad(key.key_id, version_id))
        version = KeyVersion(key.key_id, version_id, now)
        store.insert_version(tx, version, wrapped)
        return version

    def describe_key(self, account_id: str, key_ref: str) -> Key:
        return self.resolve(account_id, key_ref)

    def list_keys(
        self, account_id: str, filters: Mapping[str, Sequence[str]], page: int, size: int
    ) -> tuple[list[Key], int]:
        columns = {
            "KeyState": "state",
            "KeySpec": "key_spec",
            "KeyUsage": "key_usage",
            "ProtectionLevel": "protection_level",
            "DKMSInstanceId": "instance_id",
        }
        where: dict[str, Sequence[str]] = {}
        for name, values in filters.items():
            if name not in columns:
                raise InvalidArgument(f"Filters key {name!r} is not supported; use one of {sorted(columns)}")
            where[columns[name]] = values
        where.setdefault("state", [s.value for s in KeyState if s is not KeyState.DELETED])
        with self._db.transaction(write=False) as tx:
            return store.list_keys(tx, account_id, where, (page - 1) * size, size)

    def update_key_description(self, account_id: str, key_ref: str, description: str) -> Key:
        return self._change(account_id, key_ref, lambda k, now: _with_description(k, description, now))

    def enable_key(self, account_id: str, key_ref: str) -> Key:
        return self._change(account_id, key_ref, model.enable)

    def disable_key(self, account_id: str, key_ref: str) -> Key:
        return self._change(account_id, key_ref, model.disable)

    def schedule_key_deletion(self, account_id: str, key_ref: str, pending_window_days: int) -> Key:
        return self._change(
            account_id,
            key_ref,
            lambda k, now: model.schedule_deletion(k, pending_window_days, now),
            lambda _, k: self._raise(
                k, "Key:DeleteKey:ScheduleDeletion", plannedDeleteTime=iso(k.delete_date)
            ),
        )

    def cancel_key_deletion(self, account_id: str, key_ref: str) -> Key:
        return self._change(account_id, key_ref, model.cancel_deletion)

    def set_deletion_protection(self, account_id: str, key_ref: str, enabled: bool, description: str) -> Key:
        return self._change(
            account_id, key_ref, lambda k, now: model.set_deletion_protection(k, enabled, description, now)
        )

    def update_rotation_policy(
        self, account_id: str, key_ref: str, enabled: bool, interval_s: int | None
    ) -> Key:
        return self._change(
            account_id, key_ref, lambda k, now: model.set_rotation_policy(k, enabled, interval_s, now)
        )

    def _change(
        self,
        account_id: str,
        key_ref: str,
        transition: Callable[[Key, int], Key],
        extra: Callable[[Tx, Key], None] | None = None,
    ) -> Key:
        key_id = self.resolve(account_id, key_ref).key_id
        with self._db.transaction() as tx:
            current = store.get_key(tx, key_id)
            if current is None:
                raise KeyNotFound(f"key {key_ref!r} does not exist")
            now = max(self._clock.now_ms(), current.updated_at + 1)
            changed = transition(current, now)
            if not store.update_key(tx, changed, current.updated_at):
                raise Unavailable(f"key {key_id} was changed concurrently; retry the request")
            if extra is not None:
                extra(tx, changed)
        self.keyring.put(changed)
        return changed

    # -- versions and rotation -----------------------------------------------------------

    def create_key_version(self, account_id: str, key_ref: str) -> KeyVersion:
        """A new primary version; older versions keep decrypting. Raises UnsupportedOperation."""
        key = self.resolve(account_id, key_ref)
        if not is_symmetric(key.spec):
            raise model.UnsupportedOperation(
                f"key {key.key_id} is asymmetric; only symmetric keys have versions created on demand"
            )
        model.require_state_for_use(key)
        return self._rotate(key.key_id)

    def _rotate(self, key_id: str) -> KeyVersion:
        version_id = ids.version_id()
        created: list[KeyVersion] = []

        def write_version(tx: Tx, changed: Key) -> None:
            created.append(self._insert_version(tx, changed, version_id, changed.updated_at))

        key = self.keyring.key(key_id)
        self._change(key.account_id, key_id, lambda k, now: model.rotate(k, version_id, now), write_version)
        return created[0]

    def list_key_versions(
        self, account_id: str, key_ref: str, page: int, size: int
    ) -> tuple[list[KeyVersion], int]:
        key = self.resolve(account_id, key_ref)
        with self._db.transaction(write=False) as tx:
            return store.list_versions(tx, key.key_id, (page - 1) * size, size)

    def describe_key_version(self, account_id: str, key_ref: str, version_id: str) -> KeyVersion:
        key = self.resolve(account_id, key_ref)
        with self._db.transaction(write=False) as tx:
            found = store.get_version(tx, key.key_id, version_id)
        if found is None:
            raise KeyVersionNotFound(f"key {key.key_id} has no version {version_id!r}")
        return found[0]

    def rotate_due_keys(self, limit: int = 100) -> int:
        """Automatic rotation: a new primary version for every key whose interval has passed."""
        with self._db.transaction(write=False) as tx:
            due = store.due_for_rotation(tx, self._clock.now_ms(), limit)
        for key_id in due:
            if self.keyring.key(key_id).state is KeyState.ENABLED:
                version = self._rotate(key_id)
                self._audit(self.keyring.key(key_id), "RotateKey", KeyVersionId=version.version_id)
            else:  # a disabled key is not rotated; look again one interval later
                self._change(self.keyring.key(key_id).account_id, key_id, _postpone_rotation)
        return len(due)

    def destroy_due_keys(self, limit: int = 100) -> int:
        """The end of deletion windows: material destroyed, metadata kept in state Deleted."""
        with self._db.transaction(write=False) as tx:
            due = store.due_for_destruction(tx, self._clock.now_ms(), limit)
        for key_id in due:
            key = self._change(self.keyring.key(key_id).account_id, key_id, self._destroy_if_due, self._wipe)
            self._audit(key, "DestroyKey", DeleteDate=iso(key.delete_date))
        return len(due)

    def _audit(self, key: Key, action: str, **details: object) -> None:
        """A background action's record in the audit trail (a ServiceEvent), once it has committed."""
        if self.audit is not None:
            self.audit.record_service_event(
                key.account_id,
                "Kms",
                action,
                resource_type="ACS::KMS::Key",
                resource_name=key.key_id,
                details={"KeyId": key.key_id, **details},
            )

    def _wipe(self, tx: Tx, key: Key) -> None:
        store.destroy_material(tx, key.key_id)
        store.delete_aliases_of_key(tx, key.key_id)
        self._raise(key, "Key:DeleteKey:ActualDeletion", deleteTime=iso(key.destroyed_at))
        instance = self._instances.get(key.account_id, key.instance_id)
        self._instances.record_usage(instance, Quota.KEYS, store.count_live_keys(tx, key.instance_id))

    def _raise(self, key: Key, name: str, **content: str) -> None:
        """A key event, in the transaction of the change that caused it."""
        if self.events is None:
            return
        arn = self.events.arn(key.account_id, "key", key.key_id)
        self.events.raise_event(
            key.account_id,
            name,
            resource_id=arn,
            instance_name=key.key_id,
            content={"keyId": key.key_id, "deleteEntityArn": arn, **content},
        )

    def _destroy_if_due(self, key: Key, now: int) -> Key:
        if key.state is not KeyState.PENDING_DELETION or key.delete_date is None or key.delete_date > now:
            raise model.KeyStateInvalid(f"key {key.key_id} is no longer due for destruction")
        return model.destroy(key, now)

    # -- aliases -------------------------------------------------------------------------

    def create_alias(self, account_id: str, alias_name: str, key_ref: str) -> Alias:
        model.check_alias_name(alias_name)
        key = self.resolve(account_id, key_ref)
        _require_not_deleted(key)
        now = self._clock.now_ms()
        alias = Alias(alias_name, key.key_id, now, now)
        try:
            with self._db.transaction() as tx:
                store.insert_alias(tx, account_id, alias)
        except Conflict:
            raise AlreadyExists(
                f"alias {alias_name!r} already exists", code="Forbidden.AliasExists"
            ) from None
        return alias

    def update_alias(self, account_id: str, alias_name: str, key_ref: str) -> None:
        key = self.resolve(account_id, key_ref)
        _require_not_deleted(key)
        with self._db.transaction() as tx:
            if store.update_alias(tx, account_id, alias_name, key.key_id, self._clock.now_ms()) == 0:
                raise AliasNotFound(f"alias {alias_name!r} does not exist")

    def delete_alias(self, account_id: str, alias_name: str) -> None:
        with self._db.transaction() as tx:
            if store.delete_alias(tx, account_id, alias_name) == 0:
                raise AliasNotFound(f"alias {alias_name!r} does not exist")

    def list_aliases(
        self, account_id: str, key_ref: str | None, page: int, size: int
    ) -> tuple[list[Alias], int]:
        key_id = None if key_ref is None else self.resolve(account_id, key_ref).key_id
        with self._db.transaction(write=False) as tx:
            return store.list_aliases(tx, account_id, key_id, (page - 1) * size, size)

    # -- tags ----------------------------------------------------------------------------

    def tag_key(self, account_id: str, key_ref: str, tags: Mapping[str, str]) -> None:
        key = self.resolve(account_id, key_ref)
        with self._db.transaction() as tx:
            merged = {**store.get_tags(tx, TAG_RESOURCE, key.key_id), **tags}
            _check_tags(merged)
            store.set_tags(tx, TAG_RESOURCE, key.key_id, dict(tags))

    def untag_key(self, account_id: str, key_ref: str, tag_keys: Sequence[str]) -> None:
        key = self.resolve(account_id, key_ref)
        with self._db.transaction() as tx:
            store.remove_tags(tx, TAG_RESOURCE, key.key_id, tag_keys)

    def key_tags(self, account_id: str, key_ref: str) -> dict[str, str]:
        key = self.resolve(account_id, key_ref)
        with self._db.transaction(write=False) as tx:
            return store.get_tags(tx, TAG_RESOURCE, key.key_id)


def _with_description(key: Key, description: str, now: int) -> Key:
    _require_not_deleted(key)
    return replace(key, description=description, updated_at=now)


def _postpone_rotation(key: Key, now: int) -> Key:
    nxt = now + (key.rotation_interval_s or 365 * 86_400) * 1000
    return replace(key, next_rotation_at=nxt, updated_at=now)


def _require_not_deleted(key: Key) -> None:
    if key.state is KeyState.DELETED:
        raise KeyNotFound(f"key {key.key_id} has been deleted")


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(f"a key can carry at most {MAX_TAGS} tags")
    for k, v in tags.items():
        if not k or len(k) > 128 or k.lower().startswith(("acs:", "aliyun")):
            raise InvalidArgument(f"TagKey {k!r} must be 1-128 characters and not start with acs: or aliyun")
        if len(v) > 128:
            raise InvalidArgument(f"TagValue for {k!r} must be at most 128 characters")
