"""Turning a rule's or subscription's target into the channel addresses a notification goes to:
a contact group becomes every channel of every contact; a target that can never work becomes an
address with the reason, which the fan-out records as INVALID instead of retrying.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vigil.alerting import store
from vigil.alerting.model import Target, TargetKind
from vigil.alerting.notifiers import Notifiers
from vigil.alerting.notifiers.base import Channel
from vigil.storage.engine import Tx

_LOG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_BROKER = re.compile(r"^(redis|rediss|nats|tls)://", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Address:
    target_kind: str
    target_id: str
    target_name: str
    channel: str
    address: dict[str, str]
    problem: str | None = None
    """Why this address can never work; the delivery is recorded INVALID and not retried."""


@dataclass(frozen=True, slots=True)
class Brokers:
    """Where queue targets publish when a target names no broker URL of its own."""

    redis_url: str | None = None
    nats_url: str | None = None


class TargetResolver:
    def __init__(self, notifiers: Notifiers, log_dir: Path, brokers: Brokers) -> None:
        self._notifiers = notifiers
        self._log_dir = log_dir
        self._brokers = brokers

    def resolve(self, tx: Tx, account_id: str, target: Target) -> list[Address]:
        if target.kind is TargetKind.CONTACT_GROUP:
            return self.contact_group(
                tx, account_id, target.params.get("ContactGroupName", ""), target.target_id
            )
        found = {
            TargetKind.WEBHOOK: self._webhook,
            TargetKind.LOG: self._log,
            TargetKind.QUEUE: self._queue,
        }[target.kind](target)
        return [self._checked(a) for a in found]

    def contact_group(self, tx: Tx, account_id: str, name: str, target_id: str = "") -> list[Address]:
        kind = TargetKind.CONTACT_GROUP.value
        group = store.get_contact_group(tx, account_id, name)
        if group is None:
            return [
                Address(kind, target_id, name, "contact_group", {}, f"contact group {name!r} does not exist")
            ]
        if not group.contacts:
            return [
                Address(kind, target_id, name, "contact_group", {}, f"contact group {name!r} has no contacts")
            ]
        found: list[Address] = []
        for contact_name in group.contacts:
            label = f"{name}/{contact_name}"
            contact = store.get_contact(tx, account_id, contact_name)
            if contact is None:
                found.append(
                    Address(kind, target_id, label, "contact", {}, f"contact {contact_name!r} does not exist")
                )
                continue
            if not contact.enabled:
                found.append(
                    Address(kind, target_id, label, "contact", {}, f"contact {contact_name!r} is disabled")
                )
                continue
            found += self._channels(kind, target_id, label, contact.channels)
        return [self._checked(a) for a in found]

    def _channels(self, kind: str, target_id: str, label: str, channels: dict[str, str]) -> list[Address]:
        found: list[Address] = []
        for name, value in channels.items():
            if not value:
                continue
            if name == "Mail":
                found.append(Address(kind, target_id, label, Channel.EMAIL.value, {"to": value}))
            elif name == "DingWebHook":
                channel = (
                    Channel.CHAT if value.lower().startswith(("http://", "https://")) else Channel.APPRISE
                )
                found.append(Address(kind, target_id, label, channel.value, {"url": value}))
            else:  # SMS and AliIM need Alibaba's own gateways
                found.append(
                    Address(
                        kind,
                        target_id,
                        label,
                        name.lower(),
                        {},
                        f"the {name} channel is not available in Vigil",
                    )
                )
        if not found:
            found.append(Address(kind, target_id, label, "contact", {}, f"contact {label!r} has no channel"))
        return found

    def _webhook(self, t: Target) -> list[Address]:
        method = (t.params.get("Method") or "POST").upper()
        address = {"url": t.params.get("Url", ""), "method": method}
        return [Address(t.kind.value, t.target_id, t.name, Channel.WEBHOOK.value, address)]

    def _log(self, t: Target) -> list[Address]:
        project, logstore = t.params.get("Project", ""), t.params.get("LogStore", "")
        problem = None
        if not (_LOG_NAME.match(project) and _LOG_NAME.match(logstore)):
            problem = "Project and LogStore must be 1-63 letters, digits, '.', '_' or '-'"
        path = str(self._log_dir / project / f"{logstore}.jsonl") if problem is None else ""
        return [Address(t.kind.value, t.target_id, t.name, Channel.LOG.value, {"path": path}, problem)]

    def _queue(self, t: Target) -> list[Address]:
        region, found = t.params.get("Region", ""), []
        override = region if _BROKER.match(region) else None
        if t.params.get("Queue"):
            url = override if override and override.lower().startswith("redis") else self._brokers.redis_url
            address = {"url": url or "", "stream": t.params["Queue"]}
            problem = None if url else "no Redis is configured for queue targets (VIGIL_REDIS_URL)"
            found.append(Address(t.kind.value, t.target_id, t.name, Channel.REDIS.value, address, problem))
        if t.params.get("Topic"):
            url = (
                override if override and not override.lower().startswith("redis") else self._brokers.nats_url
            )
            address = {"url": url or "", "subject": t.params["Topic"]}
            problem = None if url else "no NATS is configured for topic targets (VIGIL_NATS_URL)"
            found.append(Address(t.kind.value, t.target_id, t.name, Channel.NATS.value, address, problem))
        if not found:
            found.append(
                Address(t.kind.value, t.target_id, t.name, "queue", {}, "the target names no Queue or Topic")
            )
        return found

    def _checked(self, a: Address) -> Address:
        if a.problem is not None:
            return a
        try:
            channel = Channel(a.channel)
        except ValueError:
            return a
        problem = self._notifiers.get(channel).check(a.address)
        if problem is None:
            return a
        return Address(a.target_kind, a.target_id, a.target_name, a.channel, a.address, problem)
