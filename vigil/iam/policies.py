"""RAM-style JSON policies: parsing with clear errors, and pure evaluation.

A policy is ``{"Version": "1", "Statement": [{"Effect", "Action", "Resource"}]}``.
Actions look like ``kms:Encrypt`` (matched case-insensitively), resources like
``acs:kms:cn-hangzhou:1234567890123456:key/key-abc`` (case-sensitive); both accept
the wildcards ``*`` and ``?``. No matching Allow means deny; an explicit Deny wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from vigil.errors import InvalidArgument


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Decision(StrEnum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"


class MalformedPolicy(InvalidArgument):
    code = "MalformedPolicyDocument"


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect
    actions: tuple[re.Pattern[str], ...]
    resources: tuple[re.Pattern[str], ...]

    def matches(self, action: str, resource: str) -> bool:
        return any(p.fullmatch(action) for p in self.actions) and any(
            p.fullmatch(resource) for p in self.resources
        )


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    statements: tuple[Statement, ...]


@lru_cache(maxsize=2048)
def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def parse_policy(name: str, document: str) -> Policy:
    """Parse and validate a policy document. Raises MalformedPolicy naming the fault."""
    try:
        doc = json.loads(document)
    except (ValueError, TypeError, RecursionError):  # RecursionError: absurdly deep nesting
        raise MalformedPolicy(f"policy {name!r} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise MalformedPolicy(f"policy {name!r} must be a JSON object")
    if str(doc.get("Version", "1")) != "1":
        raise MalformedPolicy(f'policy {name!r}: Version must be "1"')
    raw = doc.get("Statement")
    if not isinstance(raw, list) or not raw:
        raise MalformedPolicy(f"policy {name!r}: Statement must be a non-empty list")
    return Policy(name, tuple(_statement(name, i, s) for i, s in enumerate(raw, start=1)))


def _statement(name: str, index: int, raw: Any) -> Statement:
    where = f"policy {name!r} statement {index}"
    if not isinstance(raw, dict):
        raise MalformedPolicy(f"{where} must be an object")
    unknown = set(raw) - {"Effect", "Action", "Resource", "Sid"}
    if unknown:
        raise MalformedPolicy(f"{where}: unsupported element(s) {sorted(unknown)}")
    effect = raw.get("Effect")
    if effect not in (Effect.ALLOW, Effect.DENY):
        raise MalformedPolicy(f'{where}: Effect must be "Allow" or "Deny"')
    actions = _string_list(where, "Action", raw.get("Action"))
    for action in actions:
        if action != "*" and ":" not in action:
            raise MalformedPolicy(
                f"{where}: Action {action!r} must look like service:Action, e.g. kms:Encrypt"
            )
    resources = _string_list(where, "Resource", raw.get("Resource"))
    return Statement(
        Effect(effect),
        tuple(_pattern(a, ignore_case=True) for a in actions),
        tuple(_pattern(r, ignore_case=False) for r in resources),
    )


def _string_list(where: str, element: str, value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i for i in items):
        raise MalformedPolicy(f"{where}: {element} must be a string or a non-empty list of strings")
    return items


def evaluate(policies: Iterable[Policy], action: str, resource: str) -> Decision:
    """Decide one call: an explicit Deny wins, then any Allow, else an implicit deny."""
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if statement.matches(action, resource):
                if statement.effect is Effect.DENY:
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
