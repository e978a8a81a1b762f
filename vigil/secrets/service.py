"""The secret service: secrets, versions and stages, deletion windows, expiry and the rotation ledger.

Both dialects (KMS and Huawei CSMS) call this one service, so a secret written through one
is read through the other. Reads are served from memory (``SecretCache``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from vigil import ids
from vigil.audit.model import ServiceEvents
from vigil.clock import Clock, iso
from vigil.errors import InvalidArgument
from vigil.instances.quotas import Quota
from vigil.instances.service import InstanceService
from vigil.keys import store as key_store
from vigil.keys.model import require_state_for_use
from vigil.keys.service import KeyService
from vigil.secrets import store, versions
from vigil.secrets.cache import SecretCache
from vigil.secrets.envelope import SecretSealer
from vigil.secrets.events import SecretEvents
from vigil.secrets.model import (
    DataType,
    RotationInProgress,
    Secret,
    SecretExists,
    SecretNotFound,
    SecretPendingDeletion,
    SecretState,
    SecretType,
    SecretValue,
    SecretVersion,
    SecretVersionNotFound,
    check_secret_name,
    check_value,
    check_version_id,
)
from vigil.storage.engine import Conflict, Database, Tx

TAG_RESOURCE = "secret"
PENDING_STAGE = versions.PENDING
ROTATION_LEASE_MS = 10 * 60 * 1000
MANAGED_KEY_ALIAS = "alias/acs/secrets"

ConfigCheck = Callable[[SecretType, dict[str, Any], bytes], None]


@dataclass(frozen=True, slots=True)
class NewSecret:
    name: str
    data: bytes = field(repr=False)
    data_type: DataType = DataType.TEXT
    secret_type: SecretType = SecretType.GENERIC
    description: str = ""
    encryption_key_id: str | None = None
    version_id: str | None = None
    extended_config: Mapping[str, Any] | None = None
    automatic_rotation: bool = False
    rotation_interval_s: int | None = None
    tags: Mapping[str, str] | None = None
    instance_id: str | None = None
    event_subscriptions: tuple[str, ...] = ()
    enterprise_project_id: str = "0"
    expire_at: int | None = None


@dataclass(frozen=True, slots=True)
class RotationTicket:
    rotation_id: str
    secret: Secret
    pending_version_id: str
    current: SecretVersion | None
    previous: SecretVersion | None = None
    """ACSPrevious when the rotation began: the version this rotation's promotion retires."""


class SecretService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        keys: KeyService,
        instances: InstanceService,
        sealer: SecretSealer,
        *,
        cache_ttl_s: float,
        check_config: ConfigCheck,
    ) -> None:
        self._db = db
        self._clock = clock
        self._keys = keys
        self._instances = instances
        self._sealer = sealer
        self._check_config = check_config
        self.cache = SecretCache(db, sealer, ttl_s=cache_ttl_s)
        self.events = SecretEvents()
        self.audit: ServiceEvents | None = None

    # -- create and read -------------------------------------------------------------------

    def create_secret(self, account_id: str, new: NewSecret) -> tuple[Secret, SecretVersion]:
        """Raises SecretExists, InvalidArgument, or the key's state errors."""
        name = check_secret_name(new.name)
        data = check_value(new.data)
        config = dict(new.extended_config or {})
        self._check_config(new.secret_type, config, data)
        instance = (
            self._instances.get(account_id, new.instance_id)
            if new.instance_id
            else self._instances.default(account_id)
        )
        key_id = self._encryption_key(account_id, instance.instance_id, new.encryption_key_id)
        now = self._clock.now_ms()
        interval = new.rotation_interval_s
        if new.automatic_rotation and interval is None:
            raise InvalidArgument("RotationInterval is mandatory when automatic rotation is enabled")
        secret = Secret(
            account_id,
            name,
            str(uuid.uuid4()),
            instance.instance_id,
            new.secret_type,
            new.description,
            key_id,
            config,
            new.automatic_rotation,
            interval,
            None,
            now + interval * 1000 if new.automatic_rotation and interval else None,
            SecretState.ENABLED,
            None,
            now,
            now,
            tuple(new.event_subscriptions),
            new.enterprise_project_id,
        )
        version_id = check_version_id(new.version_id) if new.version_id else "v1"
        try:
            with self._db.transaction() as tx:
                usage = store.count_secrets(tx, instance.instance_id)
                self._instances.check_room(instance, Quota.SECRETS, usage)
                store.insert_secret(tx, secret)
                self._instances.record_usage(instance, Quota.SECRETS, usage + 1)
                version = self._write_version(
                    tx, secret, version_id, data, new.data_type, [versions.CURRENT], new.expire_at, now
                )
                key_store.set_tags(tx, TAG_RESOURCE, f"{account_id}/{name}", dict(new.tags or {}))
        except Conflict:
            raise SecretExists(f"secret {name!r} already exists") from None
        self.cache.forget(account_id, name)
        return secret, version

    def _encryption_key(self, account_id: str, instance_id: str, key_ref: str | None) -> str:
        if key_ref:
            key = self._keys.resolve(account_id, key_ref)
            require_state_for_use(key)
            return key.key_id
        return self._keys.ensure_managed_key(
            account_id, instance_id, MANAGED_KEY_ALIAS, "Default key for secrets, managed by Vigil"
        ).key_id

    def _write_version(
        self,
        tx: Tx,
        secret: Secret,
        version_id: str,
        data: bytes,
        data_type: DataType,
        labels: Sequence[str],
        expire_at: int | None,
        now: int,
    ) -> SecretVersion:
        sealed = self._sealer.seal(secret.account_id, secret.encryption_key_id, secret.name, version_id, data)
        version = SecretVersion(
            version_id,
            store.next_seq(tx, secret.account_id, secret.name),
            now,
            data_type,
            sealed.key_id,
            (),
            expire_at,
        )
        try:
            store.insert_version(
                tx, secret.account_id, secret.name, version, sealed.sealed_data_key, sealed.sealed_value
            )
        except Conflict:
            raise SecretExists(f"secret {secret.name!r} already has a version {version_id!r}") from None
        stages = versions.label(store.get_stages(tx, secret.account_id, secret.name), version_id, labels)
        store.replace_stages(tx, secret.account_id, secret.name, stages, now)
        self._trim_versions(tx, secret, stages)
        written = replace(version, stages=tuple(versions.stages_of(stages, version_id)))
        if PENDING_STAGE not in written.stages:  # a rotation's version is announced once it is promoted
            self.events.version_created(secret, written)
        return written

    def _trim_versions(self, tx: Tx, secret: Secret, stages: Mapping[str, str]) -> None:
        all_versions = store.list_versions(tx, secret.account_id, secret.name)
        extra = len(all_versions) - versions.MAX_VERSIONS
        for old in [v for v in all_versions if v.version_id not in stages.values()][: max(0, extra)]:
            store.delete_version(tx, secret.account_id, secret.name, old.version_id)

    def describe_secret(self, account_id: str, name: str) -> Secret:
        return self.cache.secret(account_id, name)

    def get_secret_value(
        self, account_id: str, name: str, version_id: str | None = None, stage: str | None = None
    ) -> SecretValue:
        """The value by version id or stage (default ACSCurrent). Raises SecretPendingDeletion, NotFound."""
        secret, stages = self.cache.metadata(account_id, name)
        if secret.state is SecretState.PENDING_DELETE:
            raise SecretPendingDeletion(f"secret {name!r} is scheduled for deletion; restore it first")
        if version_id is None:
            version_id = stages.get(stage or versions.CURRENT)
            if version_id is None:
                raise SecretVersionNotFound(
                    f"secret {name!r} has no version in stage {stage or versions.CURRENT}"
                )
        elif stage is not None and stages.get(stage) != version_id:
            raise SecretVersionNotFound(f"version {version_id!r} of secret {name!r} is not in stage {stage}")
        version, data = self.cache.value(secret, version_id)
        require_state_for_use(self._keys.keyring.key(version.key_id))
        labelled = replace(version, stages=tuple(versions.stages_of(stages, version_id)))
        return SecretValue(secret, labelled, data)

    def list_secret_versions(
        self, account_id: str, name: str, include_deprecated: bool = True
    ) -> list[SecretVersion]:
        self._existing(account_id, name)
        with self._db.transaction(write=False) as tx:
            found = store.list_versions(tx, account_id, name)
        return found if include_deprecated else [v for v in found if v.stages]

    def describe_version(self, account_id: str, name: str, version_id: str) -> SecretVersion:
        with self._db.transaction(write=False) as tx:
            found = store.get_version(tx, account_id, name, version_id)
        if found is None:
            self._existing(account_id, name)
            raise SecretVersionNotFound(f"secret {name!r} has no version {version_id!r}")
        return found[0]

    def list_secrets(
        self,
        account_id: str,
        filters: Mapping[str, Sequence[str]],
        page: int,
        size: int,
        after_name: str | None = None,
    ) -> tuple[list[Secret], int]:
        with self._db.transaction(write=False) as tx:
            return store.list_secrets(tx, account_id, filters, (page - 1) * size, size, after_name)

    def stages(self, account_id: str, name: str) -> dict[str, str]:
        return dict(self.cache.metadata(account_id, name)[1])

    def stage_updated_at(self, account_id: str, name: str, stage: str) -> int | None:
        with self._db.transaction(write=False) as tx:
            return store.stage_updated_at(tx, account_id, name, stage)

    # -- change ----------------------------------------------------------------------------

    def put_secret_value(
        self,
        account_id: str,
        name: str,
        data: bytes,
        data_type: DataType | None = None,
        version_id: str | None = None,
        stages: Sequence[str] | None = None,
        expire_at: int | None = None,
    ) -> SecretVersion:
        """A new version, by default ACSCurrent (the old current becomes ACSPrevious)."""
        check_value(data)
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            secret = self._writable(tx, account_id, name)
            vid = check_version_id(version_id) if version_id else f"v{store.next_seq(tx, account_id, name)}"
            kind = data_type or self._current_type(tx, secret)
            version = self._write_version(
                tx, secret, vid, data, kind, list(stages or [versions.CURRENT]), expire_at, now
            )
            store.update_secret(tx, replace(secret, updated_at=now))
        self.cache.forget(account_id, name)
        return version

    def _current_type(self, tx: Tx, secret: Secret) -> DataType:
        current = store.get_stages(tx, secret.account_id, secret.name).get(versions.CURRENT)
        found = None if current is None else store.get_version(tx, secret.account_id, secret.name, current)
        return DataType.TEXT if found is None else found[0].data_type

    def update_secret_version_stage(
        self, account_id: str, name: str, stage: str, move_to: str | None, remove_from: str | None
    ) -> dict[str, str]:
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            self._writable(tx, account_id, name)
            for version_id in (move_to, remove_from):
                if version_id is not None and store.get_version(tx, account_id, name, version_id) is None:
                    raise SecretVersionNotFound(f"secret {name!r} has no version {version_id!r}")
            stages = versions.move(store.get_stages(tx, account_id, name), stage, move_to, remove_from)
            store.replace_stages(tx, account_id, name, stages, now)
        self.cache.forget(account_id, name)
        return stages

    def update_secret(
        self,
        account_id: str,
        name: str,
        *,
        description: str | None = None,
        custom_data: Mapping[str, Any] | None = None,
        encryption_key_id: str | None = None,
        event_subscriptions: Sequence[str] | None = None,
    ) -> Secret:
        def change(s: Secret) -> Secret:
            config = dict(s.extended_config)
            if custom_data is not None:
                config["CustomData"] = {**config.get("CustomData", {}), **custom_data}
            key_id = (
                s.encryption_key_id
                if not encryption_key_id
                else self._encryption_key(account_id, s.instance_id, encryption_key_id)
            )
            subs = s.event_subscriptions if event_subscriptions is None else tuple(event_subscriptions)
            return replace(
                s,
                description=s.description if description is None else description,
                extended_config=config,
                encryption_key_id=key_id,
                event_subscriptions=subs,
            )

        return self._change(account_id, name, change)

    def update_rotation_policy(
        self, account_id: str, name: str, enabled: bool, interval_s: int | None
    ) -> Secret:
        def change(s: Secret) -> Secret:
            interval = interval_s or s.rotation_interval_s
            if enabled and interval is None:
                raise InvalidArgument("RotationInterval is mandatory when automatic rotation is enabled")
            base = s.last_rotation_at or self._clock.now_ms()
            nxt = max(base + interval * 1000, self._clock.now_ms()) if enabled and interval else None
            return replace(s, automatic_rotation=enabled, rotation_interval_s=interval, next_rotation_at=nxt)

        return self._change(account_id, name, change)

    def delete_secret(self, account_id: str, name: str, recovery_days: int | None, force: bool) -> Secret:
        """Schedule destruction after the recovery window, or destroy now with force."""
        now = self._clock.now_ms()
        if force:
            with self._db.transaction() as tx:
                secret = self._existing_tx(tx, account_id, name)
                self._destroy(tx, secret, now)
            self.cache.forget(account_id, name)
            return replace(secret, planned_delete_at=now)
        deadline = versions.recovery_deadline(
            now, versions.DEFAULT_RECOVERY_DAYS if recovery_days is None else recovery_days
        )
        changed = self._change(
            account_id,
            name,
            lambda s: replace(s, state=SecretState.PENDING_DELETE, planned_delete_at=deadline),
            allow_pending=False,
            after=self.events.scheduled_deletion,
        )
        return changed

    def restore_secret(self, account_id: str, name: str) -> Secret:
        def change(s: Secret) -> Secret:
            if s.state is not SecretState.PENDING_DELETE:
                raise InvalidArgument(f"secret {name!r} is not scheduled for deletion")
            return replace(s, state=SecretState.ENABLED, planned_delete_at=None)

        return self._change(account_id, name, change, allow_pending=True)

    def set_version_expiry(
        self, account_id: str, name: str, version_id: str, expire_at: int | None
    ) -> SecretVersion:
        with self._db.transaction() as tx:
            self._writable(tx, account_id, name)
            if store.get_version(tx, account_id, name, version_id) is None:
                raise SecretVersionNotFound(f"secret {name!r} has no version {version_id!r}")
            store.set_expiry(tx, account_id, name, version_id, expire_at)
            found = store.get_version(tx, account_id, name, version_id)
        self.cache.forget(account_id, name)
        assert found is not None
        return found[0]

    def _change(
        self,
        account_id: str,
        name: str,
        transition: Callable[[Secret], Secret],
        *,
        allow_pending: bool = False,
        after: Callable[[Secret], None] | None = None,
    ) -> Secret:
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            secret = self._existing_tx(tx, account_id, name)
            if secret.state is SecretState.PENDING_DELETE and not allow_pending:
                raise SecretPendingDeletion(f"secret {name!r} is scheduled for deletion; restore it first")
            changed = replace(transition(secret), updated_at=now)
            store.update_secret(tx, changed)
            if after is not None:
                after(changed)
        self.cache.forget(account_id, name)
        return changed

    def _existing(self, account_id: str, name: str) -> Secret:
        with self._db.transaction(write=False) as tx:
            return self._existing_tx(tx, account_id, name)

    @staticmethod
    def _existing_tx(tx: Tx, account_id: str, name: str) -> Secret:
        secret = store.get_secret(tx, account_id, name)
        if secret is None:
            raise SecretNotFound(f"secret {name!r} does not exist")
        return secret

    def _writable(self, tx: Tx, account_id: str, name: str) -> Secret:
        secret = self._existing_tx(tx, account_id, name)
        if secret.state is SecretState.PENDING_DELETE:
            raise SecretPendingDeletion(f"secret {name!r} is scheduled for deletion; restore it first")
        return secret

    def _destroy(self, tx: Tx, secret: Secret, now: int) -> None:
        # The event first: routing it reads the secret's event subscriptions (Huawei secret events).
        self.events.deleted(secret, now)
        store.delete_secret(tx, secret.account_id, secret.name)
        instance = self._instances.get(secret.account_id, secret.instance_id)
        self._instances.record_usage(instance, Quota.SECRETS, store.count_secrets(tx, secret.instance_id))
        key_store.remove_tags(
            tx,
            TAG_RESOURCE,
            f"{secret.account_id}/{secret.name}",
            list(key_store.get_tags(tx, TAG_RESOURCE, f"{secret.account_id}/{secret.name}")),
        )

    # -- tags ------------------------------------------------------------------------------

    def tag_secret(self, account_id: str, name: str, tags: Mapping[str, str]) -> None:
        with self._db.transaction() as tx:
            self._existing_tx(tx, account_id, name)
            key_store.set_tags(tx, TAG_RESOURCE, f"{account_id}/{name}", dict(tags))

    def untag_secret(self, account_id: str, name: str, tag_keys: Sequence[str]) -> None:
        with self._db.transaction() as tx:
            self._existing_tx(tx, account_id, name)
            key_store.remove_tags(tx, TAG_RESOURCE, f"{account_id}/{name}", tag_keys)

    def secret_tags(self, account_id: str, name: str) -> dict[str, str]:
        with self._db.transaction(write=False) as tx:
            return key_store.get_tags(tx, TAG_RESOURCE, f"{account_id}/{name}")

    # -- rotation ledger -------------------------------------------------------------------

    def begin_rotation(
        self, account_id: str, name: str, trigger: str, version_id: str | None
    ) -> RotationTicket:
        """Take the rotation lock and record the attempt. Raises RotationInProgress."""
        now = self._clock.now_ms()
        rotation_id = ids.version_id()
        with self._db.transaction() as tx:
            secret = self._writable(tx, account_id, name)
            pending = (
                check_version_id(version_id) if version_id else f"v{store.next_seq(tx, account_id, name)}"
            )
            if store.get_version(tx, account_id, name, pending) is not None:
                raise SecretExists(f"secret {name!r} already has a version {pending!r}")
            if not store.lock_rotation(tx, account_id, name, rotation_id, now + ROTATION_LEASE_MS, now):
                raise RotationInProgress(
                    f"secret {name!r} is already being rotated; try again when it finishes"
                )
            store.insert_rotation(tx, rotation_id, account_id, name, pending, trigger, now)
            stages = store.get_stages(tx, account_id, name)
            current = self._staged_version(tx, account_id, name, stages, versions.CURRENT)
            previous = self._staged_version(tx, account_id, name, stages, versions.PREVIOUS)
        return RotationTicket(
            rotation_id, replace(secret, rotating_id=rotation_id), pending, current, previous
        )

    @staticmethod
    def _staged_version(
        tx: Tx, account_id: str, name: str, stages: Mapping[str, str], stage: str
    ) -> SecretVersion | None:
        version_id = stages.get(stage)
        found = None if version_id is None else store.get_version(tx, account_id, name, version_id)
        return None if found is None else found[0]

    def current_value(self, ticket: RotationTicket) -> bytes | None:
        if ticket.current is None:
            return None
        return self.cache.value(ticket.secret, ticket.current.version_id)[1]

    def previous_value(self, ticket: RotationTicket) -> bytes | None:
        """The value that was ACSPrevious when the rotation began, if that version still exists."""
        if ticket.previous is None:
            return None
        try:
            return self.cache.value(ticket.secret, ticket.previous.version_id)[1]
        except SecretVersionNotFound:
            return None

    def stage_pending(self, ticket: RotationTicket, data: bytes) -> SecretVersion:
        """Store the new value as ACSPending (not yet readable as ACSCurrent)."""
        s = ticket.secret
        check_value(data)
        with self._db.transaction() as tx:
            kind = self._current_type(tx, s)
            version = self._write_version(
                tx, s, ticket.pending_version_id, data, kind, [versions.PENDING], None, self._clock.now_ms()
            )
        self.cache.forget(s.account_id, s.name)
        return version

    def finish_rotation(self, ticket: RotationTicket) -> Secret:
        """Promote the pending version to ACSCurrent, record success, queue consumer notices."""
        s = ticket.secret
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            secret = self._existing_tx(tx, s.account_id, s.name)
            stages = versions.label(
                store.get_stages(tx, s.account_id, s.name), ticket.pending_version_id, [versions.CURRENT]
            )
            stages.pop(versions.PENDING, None)
            store.replace_stages(tx, s.account_id, s.name, stages, now)
            nxt = (
                now + secret.rotation_interval_s * 1000
                if secret.automatic_rotation and secret.rotation_interval_s
                else None
            )
            changed = replace(
                secret, last_rotation_at=now, next_rotation_at=nxt, updated_at=now, rotating_id=None
            )
            store.update_secret(tx, changed)
            store.unlock_rotation(tx, s.account_id, s.name, ticket.rotation_id)
            store.finish_rotation(tx, ticket.rotation_id, "Success", "", "", now)
            self._queue_notices(tx, changed, ticket.pending_version_id, now)
            self.events.rotated(changed, ticket.pending_version_id, now)
            promoted = store.get_version(tx, s.account_id, s.name, ticket.pending_version_id)
            if promoted is not None:
                self.events.version_created(changed, promoted[0])
        self.cache.forget(s.account_id, s.name)
        return changed

    def fail_rotation(self, ticket: RotationTicket, code: str, message: str) -> None:
        """Drop the pending version and record the failure; ACSCurrent is untouched."""
        s = ticket.secret
        now = self._clock.now_ms()
        with self._db.transaction() as tx:
            if store.get_version(tx, s.account_id, s.name, ticket.pending_version_id) is not None:
                store.delete_version(tx, s.account_id, s.name, ticket.pending_version_id)
            secret = store.get_secret(tx, s.account_id, s.name)
            if secret is not None and secret.automatic_rotation and secret.rotation_interval_s:
                # try again one interval later rather than on every scheduler tick
                store.update_secret(
                    tx,
                    replace(secret, next_rotation_at=now + secret.rotation_interval_s * 1000, updated_at=now),
                )
            store.unlock_rotation(tx, s.account_id, s.name, ticket.rotation_id)
            store.finish_rotation(tx, ticket.rotation_id, "Failure", code, message[:1024], now)
            self.events.rotation_failed(secret or s, code, message[:1024], now)
        self.cache.forget(s.account_id, s.name)

    def rotation_history(self, account_id: str, name: str | None, limit: int = 100) -> list[dict[str, Any]]:
        with self._db.transaction(write=False) as tx:
            return [dict(r) for r in store.list_rotations(tx, account_id, name, limit)]

    # -- consumers -------------------------------------------------------------------------

    def put_consumer(self, account_id: str, name: str, consumer: str, url: str) -> None:
        if not consumer or len(consumer) > 64:
            raise InvalidArgument("ConsumerName must be 1-64 characters")
        if not url.startswith(("http://", "https://")):
            raise InvalidArgument("WebhookUrl must be an http:// or https:// URL")
        with self._db.transaction() as tx:
            self._existing_tx(tx, account_id, name)
            store.put_consumer(tx, account_id, name, consumer, url, self._clock.now_ms())

    def list_consumers(self, account_id: str, name: str) -> list[dict[str, Any]]:
        with self._db.transaction(write=False) as tx:
            self._existing_tx(tx, account_id, name)
            return [dict(r) for r in store.list_consumers(tx, account_id, name)]

    def delete_consumer(self, account_id: str, name: str, consumer: str) -> None:
        with self._db.transaction() as tx:
            if store.delete_consumer(tx, account_id, name, consumer) == 0:
                raise SecretNotFound(f"secret {name!r} has no consumer {consumer!r}")

    def list_notices(self, account_id: str, name: str, limit: int = 100) -> list[dict[str, Any]]:
        with self._db.transaction(write=False) as tx:
            return [dict(r) for r in store.list_notices(tx, account_id, name, limit)]

    def _queue_notices(self, tx: Tx, secret: Secret, version_id: str, now: int) -> None:
        for consumer in store.list_consumers(tx, secret.account_id, secret.name):
            store.insert_notice(
                tx,
                ids.version_id(),
                secret.account_id,
                secret.name,
                consumer["consumer_name"],
                consumer["webhook_url"],
                version_id,
                now,
            )

    # -- jobs ------------------------------------------------------------------------------

    def destroy_due_secrets(self, limit: int = 100) -> int:
        """The end of recovery windows: each due secret deleted for good, and recorded in the trail."""
        now = self._clock.now_ms()
        destroyed: list[Secret] = []
        with self._db.transaction() as tx:
            due = store.due_for_deletion(tx, now, limit)
            for account_id, name in due:
                secret = store.get_secret(tx, account_id, name)
                if secret is not None:
                    self._destroy(tx, secret, now)
                    destroyed.append(secret)
        for account_id, name in due:
            self.cache.forget(account_id, name)
        for secret in destroyed:
            self._audit(secret, "DestroySecret", DeleteDate=iso(now))
        return len(due)

    def _audit(self, secret: Secret, action: str, **details: object) -> None:
        """A background action's record in the audit trail (a ServiceEvent), once it has committed."""
        if self.audit is not None:
            self.audit.record_service_event(
                secret.account_id,
                "Kms",
                action,
                resource_type="ACS::KMS::Secret",
                resource_name=secret.name,
                details={"SecretName": secret.name, **details},
            )

    def record_expired_versions(self, limit: int = 500) -> list[tuple[str, str, str]]:
        """Record, once, every version whose expire time has passed."""
        with self._db.transaction() as tx:
            expired = store.record_expired(tx, self._clock.now_ms(), limit)
            for account_id, name, version_id in expired:
                secret = store.get_secret(tx, account_id, name)
                found = store.get_version(tx, account_id, name, version_id)
                if secret is not None and found is not None:
                    self.events.version_expired(secret, version_id, found[0].expire_at)
            return expired

    def due_for_rotation(self, limit: int = 50) -> list[tuple[str, str]]:
        with self._db.transaction(write=False) as tx:
            return store.due_for_rotation(tx, self._clock.now_ms(), limit)
