"""The identity service: account bootstrap, users, access keys, policies and the hot-path lookups."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from vigil import ids
from vigil.caching import TtlCache
from vigil.clock import Clock
from vigil.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vigil.iam import store
from vigil.iam.model import (
    AccessKey,
    AccessKeyMissing,
    AccessKeyStatus,
    Account,
    Principal,
    User,
    UserNotFound,
    check_user_name,
)
from vigil.iam.policies import Policy, parse_policy
from vigil.keys.wrapping import RootKey
from vigil.storage.engine import Conflict, Database, Tx

log = logging.getLogger("vigil.iam")


class PolicyQuota(Protocol):
    """The access-management quota of the account's default instance (InstanceService)."""

    def check_policy_room(self, account_id: str, usage: int) -> None: ...

    def record_policy_usage(self, account_id: str, usage: int) -> None: ...


class PolicyNotFound(NotFound):
    code = "EntityNotExist.Policy"


class DeleteConflict(FailedPrecondition):
    code = "DeleteConflict"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A principal and the secret its signatures are checked with (never logged)."""

    principal: Principal
    secret: str

    def __repr__(self) -> str:
        return f"Credentials(principal={self.principal!r}, secret='**********')"


@dataclass(frozen=True, slots=True)
class Bootstrap:
    account: Account
    generated_access_key: tuple[str, str] | None
    """(id, secret) when this start generated the root access key, else None."""

    def __repr__(self) -> str:
        return f"Bootstrap(account={self.account!r})"


class IamService:
    def __init__(self, db: Database, root_key: RootKey, clock: Clock, *, cache_ttl_s: float = 1.0) -> None:
        self._db = db
        self._root_key = root_key
        self._clock = clock
        self._credentials: TtlCache[str, Credentials] = TtlCache(cache_ttl_s)
        self._policies: TtlCache[tuple[str, str], tuple[Policy, ...]] = TtlCache(cache_ttl_s)
        self._account: Account | None = None
        self.policy_quota: PolicyQuota | None = None

    # -- bootstrap -----------------------------------------------------------------

    def bootstrap(
        self, *, region: str | None, project_id: str | None, root_access_key: tuple[str, str] | None
    ) -> Bootstrap:
        """Create the account and its first root access key at first start; idempotent afterwards."""
        with self._db.transaction() as tx:
            account = store.first_account(tx)
            generated: tuple[str, str] | None = None
            if account is None:
                account = Account(
                    ids.account_id(), project_id or ids.project_id(), region or "cn-hangzhou", self._now()
                )
                store.insert_account(tx, account)
                pair = root_access_key or (ids.access_key_id(), ids.access_key_secret())
                self._insert_access_key(tx, account.account_id, None, *pair)
                generated = None if root_access_key else pair
            else:
                self._warn_on_changed_settings(account, region, project_id)
        self._account = account
        return Bootstrap(account, generated)

    def _warn_on_changed_settings(self, account: Account, region: str | None, project_id: str | None) -> None:
        if region and region != account.region:
            log.warning("VIGIL_REGION=%s ignored: this deployment was created in %s", region, account.region)
        if project_id and project_id != account.project_id:
            log.warning("VIGIL_PROJECT_ID ignored: this deployment's project id is %s", account.project_id)

    @property
    def account(self) -> Account:
        if self._account is None:
            with self._db.transaction(write=False) as tx:
                self._account = store.first_account(tx)
            if self._account is None:
                raise FailedPrecondition("the deployment has not been bootstrapped")
        return self._account

    # -- users -----------------------------------------------------------------------

    def create_user(
        self, account_id: str, user_name: str, display_name: str = "", comments: str = ""
    ) -> User:
        user = User(
            account_id,
            check_user_name(user_name),
            ids.account_id(),
            display_name or user_name,
            comments,
            self._now(),
        )
        try:
            with self._db.transaction() as tx:
                store.insert_user(tx, user)
        except Conflict:
            raise AlreadyExists(
                f"user {user_name!r} already exists", code="EntityAlreadyExists.User"
            ) from None
        return user

    def get_user(self, account_id: str, user_name: str) -> User:
        with self._db.transaction(write=False) as tx:
            return self._user(tx, account_id, user_name)

    def list_users(self, account_id: str) -> list[User]:
        with self._db.transaction(write=False) as tx:
            return store.list_users(tx, account_id)

    def delete_user(self, account_id: str, user_name: str) -> None:
        """Raises DeleteConflict while the user still has access keys or attached policies."""
        with self._db.transaction() as tx:
            self._user(tx, account_id, user_name)
            if store.list_access_keys(tx, account_id, user_name):
                raise DeleteConflict(
                    f"user {user_name!r} still has access keys; delete them first",
                    code="DeleteConflict.User.AccessKey",
                )
            if store.policies_of_user(tx, account_id, user_name):
                raise DeleteConflict(
                    f"user {user_name!r} still has attached policies; detach them first",
                    code="DeleteConflict.User.Policy",
                )
            store.delete_user(tx, account_id, user_name)
        self._forget()

    def _user(self, tx: Tx, account_id: str, user_name: str) -> User:
        user = store.get_user(tx, account_id, user_name)
        if user is None:
            raise UserNotFound(f"user {user_name!r} does not exist")
        return user

    # -- access keys ---------------------------------------------------------------------

    def create_access_key(self, account_id: str, user_name: str | None) -> tuple[AccessKey, str]:
        """A new active key for the user (None: the root identity); the secret is returned only here."""
        secret = ids.access_key_secret()
        with self._db.transaction() as tx:
            if user_name is not None:
                self._user(tx, account_id, user_name)
            key = self._insert_access_key(tx, account_id, user_name, ids.access_key_id(), secret)
        return key, secret

    def _insert_access_key(
        self, tx: Tx, account_id: str, user_name: str | None, access_key_id: str, secret: str
    ) -> AccessKey:
        key = AccessKey(access_key_id, account_id, user_name, AccessKeyStatus.ACTIVE, self._now())
        wrapped = self._root_key.wrap(secret.encode(), self._aad(access_key_id))
        try:
            store.insert_access_key(tx, key, wrapped)
        except Conflict:
            raise AlreadyExists(f"access key {access_key_id} already exists") from None
        return key

    def list_access_keys(self, account_id: str, user_name: str | None) -> list[AccessKey]:
        with self._db.transaction(write=False) as tx:
            if user_name is not None:
                self._user(tx, account_id, user_name)
            return store.list_access_keys(tx, account_id, user_name)

    def update_access_key(self, account_id: str, access_key_id: str, status: str) -> AccessKey:
        try:
            wanted = AccessKeyStatus(status)
        except ValueError:
            raise InvalidArgument(f"Status {status!r} is invalid: use Active or Inactive") from None
        with self._db.transaction() as tx:
            key = self._access_key(tx, account_id, access_key_id)
            if wanted is AccessKeyStatus.INACTIVE and key.user_name is None:
                self._keep_one_root_key(tx, account_id, access_key_id)
            store.set_access_key_status(tx, access_key_id, wanted)
        self._forget()
        return AccessKey(key.access_key_id, key.account_id, key.user_name, wanted, key.created_at)

    def delete_access_key(self, account_id: str, access_key_id: str) -> None:
        with self._db.transaction() as tx:
            key = self._access_key(tx, account_id, access_key_id)
            if key.user_name is None:
                self._keep_one_root_key(tx, account_id, access_key_id)
            store.delete_access_key(tx, access_key_id)
        self._forget()

    def _keep_one_root_key(self, tx: Tx, account_id: str, leaving: str) -> None:
        others = [
            k
            for k in store.list_access_keys(tx, account_id, None)
            if k.access_key_id != leaving and k.status is AccessKeyStatus.ACTIVE
        ]
        if not others:
            raise FailedPrecondition(
                "this is the root identity's last active access key; create another one first",
                code="Rejected.LastRootAccessKey",
            )

    def _access_key(self, tx: Tx, account_id: str, access_key_id: str) -> AccessKey:
        found = store.get_access_key(tx, access_key_id)
        if found is None or found[0].account_id != account_id:
            raise AccessKeyMissing(f"access key {access_key_id!r} does not exist")
        return found[0]

    # -- policies ------------------------------------------------------------------------

    def create_policy(self, account_id: str, name: str, document: str, description: str = "") -> Policy:
        """Raises AlreadyExists when the name is taken, MalformedPolicy when the document is wrong."""
        with self._db.transaction(write=False) as tx:
            if store.get_policy(tx, account_id, name) is not None:
                raise AlreadyExists(f"policy {name!r} already exists", code="EntityAlreadyExists.Policy")
        return self.put_policy(account_id, name, document, description)

    def put_policy(self, account_id: str, name: str, document: str, description: str = "") -> Policy:
        """Create or replace a policy. Raises MalformedPolicy naming the fault."""
        if not name or len(name) > 128:
            raise InvalidArgument("PolicyName must be 1-128 characters")
        policy = parse_policy(name, document)
        with self._db.transaction() as tx:
            count = len(store.list_policies(tx, account_id))
            is_new = store.get_policy(tx, account_id, name) is None
            if is_new and self.policy_quota is not None:
                self.policy_quota.check_policy_room(account_id, count)
            store.upsert_policy(tx, account_id, name, description, document, self._now())
            if is_new and self.policy_quota is not None:
                self.policy_quota.record_policy_usage(account_id, count + 1)
        self._forget()
        return policy

    def get_policy(self, account_id: str, name: str) -> dict[str, object]:
        with self._db.transaction(write=False) as tx:
            row = store.get_policy(tx, account_id, name)
            if row is None:
                raise PolicyNotFound(f"policy {name!r} does not exist")
            users = store.attachments_of_policy(tx, account_id, name)
        return {**row, "attached_users": users}

    def list_policies(self, account_id: str) -> list[dict[str, object]]:
        with self._db.transaction(write=False) as tx:
            return list(store.list_policies(tx, account_id))

    def delete_policy(self, account_id: str, name: str) -> None:
        with self._db.transaction() as tx:
            if store.get_policy(tx, account_id, name) is None:
                raise PolicyNotFound(f"policy {name!r} does not exist")
            if store.attachments_of_policy(tx, account_id, name):
                raise DeleteConflict(
                    f"policy {name!r} is still attached; detach it first", code="DeleteConflict.Policy.User"
                )
            store.delete_policy(tx, account_id, name)
            if self.policy_quota is not None:
                self.policy_quota.record_policy_usage(account_id, len(store.list_policies(tx, account_id)))
        self._forget()

    def attach_policy(self, account_id: str, name: str, user_name: str) -> None:
        with self._db.transaction() as tx:
            if store.get_policy(tx, account_id, name) is None:
                raise PolicyNotFound(f"policy {name!r} does not exist")
            self._user(tx, account_id, user_name)
            store.attach(tx, account_id, name, user_name, self._now())
        self._forget()

    def detach_policy(self, account_id: str, name: str, user_name: str) -> None:
        with self._db.transaction() as tx:
            if store.detach(tx, account_id, name, user_name) == 0:
                raise NotFound(
                    f"policy {name!r} is not attached to user {user_name!r}",
                    code="EntityNotExist.PolicyAttachment",
                )
        self._forget()

    def list_user_policies(self, account_id: str, user_name: str) -> list[dict[str, object]]:
        with self._db.transaction(write=False) as tx:
            self._user(tx, account_id, user_name)
            return list(store.policies_of_user(tx, account_id, user_name))

    # -- hot path ------------------------------------------------------------------------

    def credentials(self, access_key_id: str) -> Credentials:
        """The principal behind an access key. Raises AccessKeyNotFound if unknown or inactive."""
        return self._credentials.get(access_key_id, self._load_credentials)

    def _load_credentials(self, access_key_id: str) -> Credentials:
        from vigil.errors import AccessKeyNotFound

        with self._db.transaction(write=False) as tx:
            found = store.get_access_key(tx, access_key_id)
            if found is None or found[0].status is not AccessKeyStatus.ACTIVE:
                raise AccessKeyNotFound(
                    f"Specified access key is not found or disabled: {access_key_id[:64]}"
                )
            key, wrapped = found
            user = None if key.user_name is None else store.get_user(tx, key.account_id, key.user_name)
        secret = self._root_key.unwrap(wrapped, self._aad(access_key_id)).decode()
        principal = Principal(
            key.account_id, key.user_name, None if user is None else user.user_id, access_key_id
        )
        return Credentials(principal, secret)

    def policies_for(self, principal: Principal) -> tuple[Policy, ...]:
        if principal.user_name is None:
            return ()
        return self._policies.get((principal.account_id, principal.user_name), self._load_policies)

    def _load_policies(self, key: tuple[str, str]) -> tuple[Policy, ...]:
        with self._db.transaction(write=False) as tx:
            rows = store.policies_of_user(tx, *key)
        return tuple(parse_policy(r["policy_name"], r["document"]) for r in rows)

    def _forget(self) -> None:
        self._credentials.invalidate()
        self._policies.invalidate()

    def _now(self) -> int:
        return self._clock.now_ms()

    @staticmethod
    def _aad(access_key_id: str) -> bytes:
        return b"vigil:access-key:" + access_key_id.encode()
