"""What one API call is, independent of the dialect that carried it.

An ``Operation`` declares a handler and how it is authorised; a ``CallContext`` carries
the verified caller through the pipeline and records that authorisation happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.errors import PermissionDenied
from vigil.iam.model import Principal
from vigil.iam.policies import Decision, evaluate

if TYPE_CHECKING:
    from vigil.app import Services


@dataclass(slots=True)
class CallContext:
    request_id: str
    principal: Principal
    services: Services
    service: str
    action: str
    source_ip: str
    user_agent: str
    authorized: bool = False
    resources: list[str] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    @property
    def region(self) -> str:
        return self.services.region

    def authorize(self, resource: str) -> None:
        """Check the caller's policies for this action on ``resource``. Raises PermissionDenied."""
        self.resources.append(resource)
        principal = self.principal
        if not principal.is_root:
            policies = self.services.iam.policies_for(principal)
            policy_action = f"{self.service.lower()}:{self.action}"
            decision = evaluate(policies, policy_action, resource)
            if decision is not Decision.ALLOW:
                why = "an explicit Deny" if decision is Decision.EXPLICIT_DENY else "no policy allows it"
                raise PermissionDenied(
                    f"user {principal.user_name!r} is not authorized to perform {policy_action} on "
                    f"{resource}: {why}"
                )
        self.authorized = True

    def require_root(self) -> None:
        if not self.principal.is_root:
            raise PermissionDenied(f"{self.action} is allowed only for the account's root identity")
        self.authorized = True

    def arn(self, kind: str, resource_id: str, product: str = "kms") -> str:
        return f"acs:{product}:{self.region}:{self.account_id}:{kind}/{resource_id}"


Handler = Callable[[CallContext, Any], dict[str, Any]]
ResourceOf = Callable[[CallContext, Any], str]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str
    """The product as ActionTrail names it: Kms, Cms, Actiontrail, Csms, Vigil."""
    name: str
    handler: Handler
    rw: str = "Write"
    blocking: bool = True
    """True when the handler touches the database and must run in a worker thread."""
    resource: ResourceOf | None = None
    """The resource to authorise before the handler runs; None when the handler authorises itself."""
