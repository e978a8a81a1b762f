"""What both systems are given: Kafka system events (for Alertmanager, the same events as alerts),
the 100 rules (routes) of the throughput run, and which events the matching ones take.

The events are the Kafka share of the event-store benchmark's mix (events_mix.py), payloads as a
Kafka publisher sends them to PutSystemEvents. Of the 100 rules, 5 take ``Instance:Risk`` events of
one Kafka instance each (about 14 % of the events), 45 look for the same event on instances that
never publish, and 50 take KMS events, which a Kafka ingest never raises.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar

from events_mix import EventMix

from vigil.events.catalog import CATALOG

RULES = 100
MATCHING_RULES = 5
KMS_RULES = 50
RISK = "Instance:Risk"
KAFKA = "Kafka"
LATENCY_EVENT = "Key:DeleteKey:ScheduleDeletion"
LATENCY_ALERT = "LatencyProbe"
ACCOUNT = "1234567890123456"
REGION = "cn-hangzhou"
_DRAW = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One rule of the throughput run: a CMS event rule for Vigil, a child route for Alertmanager."""

    name: str
    product: str
    event_name: str
    instance: str = ""
    """Kafka rules only: the instance whose events the rule takes (a keyword for Vigil, a label matcher for Alertmanager)."""

    def takes(self, payload: dict[str, Any]) -> bool:
        return (
            self.product == KAFKA
            and payload["name"] == self.event_name
            and payload["instanceName"] == self.instance
        )


def rule_specs(instances: Sequence[str]) -> list[RuleSpec]:
    """MATCHING_RULES on the first instances, the other Kafka rules on absent ones, then KMS rules."""
    kafka_rules = RULES - KMS_RULES
    specs = [RuleSpec(f"risk-{i:02d}", KAFKA, RISK, instances[i]) for i in range(MATCHING_RULES)]
    specs += [
        RuleSpec(f"risk-{i:02d}", KAFKA, RISK, f"alikafka_post-cn-absent{i:04d}")
        for i in range(MATCHING_RULES, kafka_rules)
    ]
    kms_names = sorted(n for n, s in CATALOG.items() if s.product == "KMS" and n != LATENCY_EVENT)
    specs += [
        RuleSpec(f"kms-{i:02d}", "KMS", kms_names[i % len(kms_names)]) for i in range(RULES - kafka_rules)
    ]
    return specs


def matching(payloads: Sequence[dict[str, Any]], specs: Sequence[RuleSpec]) -> int:
    """How many notifications the rules owe for ``payloads`` (one per event and rule that takes it)."""
    return sum(1 for p in payloads for s in specs if s.takes(p))


class KafkaEvents:
    """Kafka payloads drawn from the event-store mix, seeded."""

    def __init__(self, seed: int) -> None:
        self._mix = EventMix(
            random.Random(seed),
            ACCOUNT,
            REGION,
            lambda kind, name: f"acs:kms:{REGION}:{ACCOUNT}:{kind}/{name}",
        )

    @property
    def instances(self) -> list[str]:
        return list(self._mix.kafka)

    def draw(self, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            found += self._mix.batch([0] * _DRAW).kafka
        return found[:count]

    def grouped(self, count: int, groups: int) -> list[dict[str, Any]]:
        """``count`` events spread round-robin over ``groups`` instances, each naming its instance in
        the content (the announcement without an instance frame is left out)."""
        names = [f"alikafka_post-cn-group{g:02d}" for g in range(groups)]
        drawn = [p for p in self.draw(count * 2) if "instanceName" in p["content"]]
        if len(drawn) < count:
            drawn += [p for p in self.draw(count) if "instanceName" in p["content"]]
        return [on_instance(p, names[i % groups]) for i, p in enumerate(drawn[:count])]


def on_instance(payload: dict[str, Any], instance: str) -> dict[str, Any]:
    """The same event published by ``instance``."""
    old = payload["instanceName"]
    content = dict(payload["content"])
    content |= {k: instance for k in ("instanceId", "instanceName") if k in content}
    return payload | {
        "instanceName": instance,
        "resourceId": payload["resourceId"].replace(old, instance),
        "content": content,
    }


def alert(payload: dict[str, Any], ident: str) -> dict[str, Any]:
    """The event as an Alertmanager alert: name, instance and level as labels (plus an id, since
    Alertmanager tells alerts apart by their labels), the resource and the content as annotations."""
    return {
        "labels": {
            "alertname": payload["name"],
            "instance": payload["instanceName"],
            "severity": payload["level"].strip().lower(),
            "event": ident,
        },
        "annotations": {
            "resourceId": payload["resourceId"],
            "content": json.dumps(payload["content"], separators=(",", ":")),
        },
    }


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    it = iter(items)
    return [chunk for chunk in iter(lambda: list(islice(it, size)), [])]
