"""Routing's matching plan (keyword index, always-taking candidates) answers exactly as asking every
rule and subscription ``why_not``, for any mix of patterns and events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.alerting.model import AlertEvent, EventKind
from vigil.alerting.patterns import EventPattern, EventRule, RuleState
from vigil.alerting.router import Router, Routes
from vigil.alerting.subscriptions import Subscription
from vigil.events.model import SystemEvent

PRODUCTS = ["KMS", "Kafka", "kms", "*", ""]
NAMES = ["Instance:Risk", "Key:DeleteKey:ScheduleDeletion", "instance:risk", "*"]
WORDS = ["kafka-1", "kafka-10", "post-cn", "RISK", "absent", "secret-a"]
LEVELS = ["WARN", "CRITICAL", "info", "*"]


def _event(product: str, name: str, level: str, instance: str, group: str) -> AlertEvent:
    content = {"instanceName": instance, "riskLevel": level.lower()}
    source = SystemEvent(
        "ev-1", "acct", product, name, level, "StatusNotification", "Normal", group,
        f"acs:{product.lower()}:r:acct:instance/{instance}", instance, "cn-hangzhou", 1, content,
    )  # fmt: skip
    return AlertEvent.of_system(source)


patterns = st.builds(
    lambda product, names, levels, keywords, sql: EventPattern.create(
        product=product, names=names, levels=levels, custom_filters=",".join(keywords), sql_filter=sql
    ),
    st.sampled_from(PRODUCTS),
    st.lists(st.sampled_from(NAMES), max_size=2),
    st.lists(st.sampled_from(LEVELS), max_size=2),
    st.lists(st.sampled_from(WORDS), max_size=3),
    st.sampled_from(["", "riskLevel = 'warn'", "instanceName = 'kafka-10'"]),
)
rules = st.builds(
    lambda n, kind, state, group, pats: EventRule(
        "acct", f"rule-{n}", "", kind, state, 0, group, tuple(pats)
    ),
    st.integers(0, 10_000),
    st.sampled_from(list(EventKind)),
    st.sampled_from(list(RuleState)),
    st.sampled_from(["", "0", "7"]),
    st.lists(patterns, max_size=3),
)
subscriptions = st.builds(
    lambda n, state, pats: Subscription("acct", "subscription", f"sub-{n}", f"s{n}", state, tuple(pats), ()),
    st.integers(0, 10_000),
    st.sampled_from(list(RuleState)),
    st.lists(patterns, max_size=2),
)
events = st.builds(
    _event,
    st.sampled_from(["KMS", "Kafka"]),
    st.sampled_from(NAMES[:2]),
    st.sampled_from(LEVELS[:3]),
    st.sampled_from(["kafka-1", "kafka-10", "other"]),
    st.sampled_from(["0", "7"]),
)


@settings(max_examples=400)
@given(
    st.lists(rules, max_size=12),
    st.lists(subscriptions, max_size=4),
    st.lists(events, min_size=1, max_size=5),
)
def test_the_plan_takes_what_why_not_admits(
    rule_list: list[EventRule], subs: list[Subscription], evs: list[AlertEvent]
) -> None:
    routes = Routes.build(tuple(rule_list), tuple(subs), ())
    sources = [*rule_list, *subs]
    for event in evs:
        expected = sorted(s.name for s in sources if not s.why_not(event))
        assert sorted(name for _, name in Router.matches(event, routes)) == expected
        assert all(s.takes(event) == (not s.why_not(event)) for s in sources)
