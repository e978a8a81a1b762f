"""Routing's matching plan (keyword index, always-taking candidates) answers exactly as asking every
rule and subscription ``why_not``, for any mix of patterns and events; keywords are drawn so they
overlap, start one another, hold regular-expression syntax or are not ASCII."""

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
TRICKY_WORDS = [
    "kafka",
    "ka",
    "a-1",
    "10(",
    "(β).*",
    ".*",
    "a+b|c",
    "[warn]",
    "straße",
    "İ",
    "\\d",
    "^k",
    "$",
]
"""Keywords that overlap, start one another, hold regular-expression syntax or are not ASCII."""
KEYWORD_ALPHABET = "ka-10(.*)+|ßüİ"
"""Random keywords from few characters, so they often overlap or start one another."""
LEVELS = ["WARN", "CRITICAL", "info", "*"]
INSTANCES = ["kafka-1", "kafka-10", "other", "kafka-10(β).*", "a+b|c-straße-İü", "[WARN]\\d^k$"]


def _event(product: str, name: str, level: str, instance: str, group: str) -> AlertEvent:
    content = {"instanceName": instance, "riskLevel": level.lower()}
    source = SystemEvent(
        "ev-1", "acct", product, name, level, "StatusNotification", "Normal", group,
        f"acs:{product.lower()}:r:acct:instance/{instance}", instance, "cn-hangzhou", 1, content,
    )  # fmt: skip
    return AlertEvent.of_system(source)


keywords = st.sampled_from(WORDS + TRICKY_WORDS) | st.text(KEYWORD_ALPHABET, min_size=1, max_size=4).filter(
    lambda k: k.strip() == k
)
patterns = st.builds(
    lambda product, names, levels, keywords, sql: EventPattern.create(
        product=product, names=names, levels=levels, custom_filters=",".join(keywords), sql_filter=sql
    ),
    st.sampled_from(PRODUCTS),
    st.lists(st.sampled_from(NAMES), max_size=2),
    st.lists(st.sampled_from(LEVELS), max_size=2),
    st.lists(keywords, max_size=3),
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
    st.sampled_from(INSTANCES),
    st.sampled_from(["0", "7"]),
)


@settings(max_examples=600)
@given(
    st.lists(rules, max_size=16),
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


keyword_rules = st.builds(
    lambda n, words: EventRule(
        "acct", f"kw-{n}", "", EventKind.SYSTEM, RuleState.ENABLED, 0, "",
        (EventPattern.create(product="Kafka", names=["Instance:Risk"], custom_filters=",".join(words)),),
    ),
    st.integers(0, 10_000),
    st.lists(keywords, min_size=1, max_size=3),
)  # fmt: skip
risk_events = st.builds(
    _event,
    st.just("Kafka"),
    st.just("Instance:Risk"),
    st.sampled_from(LEVELS[:3]),
    st.sampled_from(INSTANCES) | st.text(KEYWORD_ALPHABET + "xé", max_size=10),
    st.just("0"),
)


@settings(max_examples=400)
@given(st.lists(keyword_rules, min_size=1, max_size=40), st.lists(risk_events, min_size=1, max_size=4))
def test_keyword_rules_take_an_event_exactly_when_one_of_their_keywords_occurs_in_it(
    rule_list: list[EventRule], evs: list[AlertEvent]
) -> None:
    routes = Routes.build(tuple(rule_list), (), ())
    for event in evs:
        text = event.search_text
        expected = sorted(r.name for r in rule_list if any(k.lower() in text for k in r.patterns[0].keywords))
        assert sorted(name for _, name in Router.matches(event, routes)) == expected
        assert expected == sorted(r.name for r in rule_list if not r.why_not(event))
