"""The advanced query against the seeded trail on SQLite and PostgreSQL: the product document's seed
statements, each construct of the language, hostile values, stats, and an instance's log store (whose
records are in the account's trail as well)."""

from __future__ import annotations

import pytest

from tests.service.audit.audit_seeds import (
    ACCOUNT,
    INSTANCE,
    OTHER_INSTANCE,
    SECRETS_INSTANCE,
    SEEDS,
    WINDOW,
    Seeded,
)
from vigil.audit import store
from vigil.audit.query import compile_query

TRAIL = {name for name in SEEDS if name != "other account encrypt"}
KEY_READS = {
    "encrypt", "decrypt by bob", "sibling key decrypt", "encrypt rejected disabled",
    "generate data key rejected unavailable", "generate data key", "instance encrypt",
}  # fmt: skip
KEYS_DATA_PLANE = {
    "encrypt",
    "decrypt by bob",
    "sibling key decrypt",
    "generate data key",
    "instance encrypt",
}
"""The successful data-plane calls on the keys: INSTANCE's log store."""
SECRETS_DATA_PLANE = {
    "get secret",
    "get prod secret",
    "get other secret",
    "get secret backup",
    "csms get secret",
}
"""The successful secret reads: SECRETS_INSTANCE's log store."""

SEED_STATEMENTS = [
    (
        '* AND (event.serviceName: "Kms") AND (event.eventRW: "Read") AND "key-szz63dc8c429ermur****"',
        KEY_READS,
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.Disabled")',
        {"encrypt rejected disabled"},
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.PendingDeletion")',
        {"decrypt rejected pending deletion"},
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.errorCode:"Rejected.Unavailable")',
        {"generate data key rejected unavailable"},
    ),
    (
        '* AND (event.serviceName: "Kms") AND (event.eventName: "GetSecretValue") AND "SecretName"',
        {"get secret", "get prod secret"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), SEED_STATEMENTS, ids=[f"seed-{i}" for i in range(1, 6)])
def test_each_seed_statement_finds_exactly_its_records(seeded: Seeded, text: str, expected: set[str]) -> None:
    assert seeded.search(text) == expected


CONSTRUCTS = [
    ("*", TRAIL, "everything-in-the-trail"),
    ("", TRAIL, "empty-is-everything"),
    ("bob", {"decrypt by bob", "get prod secret"}, "bare-term"),
    ("BOB", {"decrypt by bob", "get prod secret"}, "terms-ignore-case"),
    (
        '"key-szz63dc8c429ermur4f8a"',
        KEY_READS - {"sibling key decrypt"} | {"disable key (write)", "chinese description"},
        "key-id-phrase",
    ),
    ("key-szz63dc8c429ermurxyz9", {"sibling key decrypt"}, "unquoted-key-id"),
    ('"szz63dc8c429ermur"', set(), "a-word-is-whole-unless-starred"),
    ("szz63dc8c429*", KEY_READS | {"disable key (write)", "chinese description"}, "bare-prefix"),
    (
        '"The key is"',
        {"encrypt rejected disabled", "decrypt rejected pending deletion"},
        "phrase-in-order",
    ),
    ('"is key the"', set(), "phrase-out-of-order"),
    (
        "Decr*",
        {"decrypt by bob", "sibling key decrypt", "decrypt rejected pending deletion"},
        "prefix-of-an-event-name",
    ),
    (
        "secretname",
        {"get secret", "get prod secret", "put secret value", "csms get secret"},
        "words-not-substrings",
    ),
    ("生产环境", {"chinese description"}, "chinese-term"),
    ("xxxxxxxxxxxx*", set(), "blobs-are-not-searched"),
    (
        "SecretName",
        {"get secret", "get prod secret", "put secret value", "csms get secret"},
        "keys-are-not-searched",
    ),
    ("event.serviceName: Cms", {"cms rejected disabled"}, "field"),
    ("event.serviceName: csms", {"csms get secret"}, "enumerated-field-any-case"),
    ("event.eventName: encrypt", set(), "other-fields-are-case-sensitive"),
    (
        "event.eventName: Gen*",
        {"generate data key", "generate data key rejected unavailable"},
        "field-prefix",
    ),
    ("event.eventName: gen*", set(), "field-prefix-is-case-sensitive"),
    (
        "event.errorCode: Rejected.*",
        {
            "encrypt rejected disabled",
            "decrypt rejected pending deletion",
            "generate data key rejected unavailable",
            "cms rejected disabled",
        },
        "error-code-prefix",
    ),
    (
        "event.errorCode: *",
        {
            "encrypt rejected disabled",
            "decrypt rejected pending deletion",
            "generate data key rejected unavailable",
            "cms rejected disabled",
        },
        "failed-calls",
    ),
    (
        "NOT event.errorCode: * AND event.eventName: GetSecretValue",
        {"get secret", "get prod secret", "get other secret", "get secret backup", "csms get secret"},
        "successful-calls",
    ),
    ("event.userIdentity.userName: bob", {"decrypt by bob", "get prod secret"}, "nested-column"),
    ("event.userIdentity.type: service", {"scheduled deletion (service event)"}, "identity-type"),
    ("event.eventType: serviceevent", {"scheduled deletion (service event)"}, "event-type"),
    ("event.requestParameters.SecretName: prod/SecretName", {"get prod secret"}, "json-field"),
    (
        "event.requestParameters.SecretName: Secret*",
        {"get secret", "get secret backup", "put secret value", "csms get secret"},
        "json-field-prefix",
    ),
    ("event.responseElements.KeyMetadata.KeyState: Enabled", {"other key describe"}, "json-field-nested"),
    ("event.requestParameters.Tags: *", {"chinese description"}, "json-array-present"),
    ("event.requestParameters.Tags: env", set(), "json-array-is-not-a-value"),
    ("event.requestParameters.Missing: *", set(), "json-absent"),
    (
        "NOT event.requestParameters.SecretName: OtherSecret AND event.eventName: GetSecretValue",
        {"get secret", "get prod secret", "get secret backup", "csms get secret"},
        "not-json-field",
    ),
    ("event.requestParameters.PageNumber: 1", {"list keys"}, "json-number-as-text"),
    ("event.responseElements.Truncated: true", {"list keys"}, "json-boolean-as-text"),
    ("event.responseElements.Ratio: 0.5", {"list keys"}, "json-decimal-as-text"),
    ("event.responseElements.TotalCount > 11", {"list keys"}, "json-number-greater"),
    ("event.responseElements.TotalCount > 12", set(), "json-number-not-greater"),
    ("event.responseElements.TotalCount <= 12", {"list keys"}, "json-number-at-most"),
    (
        "event.requestParameters.NumberOfBytes >= 32",
        {"generate data key", "generate data key rejected unavailable"},
        "digit-string-compares-as-a-number",
    ),
    ("event.requestParameters.NumberOfBytes < 4", set(), "digit-string-below"),
    ("event.requestParameters.PageSize > 19.5", {"list keys"}, "digit-string-against-a-decimal"),
    ("event.requestParameters.SecretName > 0", set(), "text-is-no-number"),
    (
        "NOT event.responseElements.TotalCount > 100 AND event.eventName: ListKeys",
        {"list keys"},
        "not-comparison",
    ),
    (
        'event.eventTime >= "2026-01-10T00:18:00Z"',
        {"lookup events", "chinese description", "instance encrypt"},
        "time-from",
    ),
    (
        'event.eventTime > "2026-01-10T00:17:00Z"',
        {"lookup events", "chinese description", "instance encrypt"},
        "time-after",
    ),
    ('event.eventTime: "2026-01-10T00:01:00Z"', {"decrypt by bob"}, "time-to-the-second"),
    ('event.eventTime < "2026-01-10T00:01:00Z"', {"encrypt"}, "time-before"),
    ('event.eventTime: "2026-01-10"', TRAIL, "time-to-the-day"),
    ("event.serviceName: Cms OR event.serviceName: Csms", {"cms rejected disabled", "csms get secret"}, "or"),
    ("bob AND NOT decrypt", {"get prod secret"}, "and-not"),
    (
        "NOT (event.serviceName: Kms)",
        {"cms rejected disabled", "csms get secret", "lookup events"},
        "not-parenthesised",
    ),
    (
        "event.serviceName: Cms OR event.serviceName: Csms AND secretname",
        {"cms rejected disabled", "csms get secret"},
        "and-before-or",
    ),
    (
        "(event.serviceName: Cms OR event.serviceName: Csms) AND secretname",
        {"csms get secret"},
        "parentheses-first",
    ),
    ("NOT *", set(), "not-everything"),
    ('"100%"', {"lookup events"}, "percent-is-punctuation-in-a-term"),
    ('event.requestParameters.Query: "100%*"', {"lookup events"}, "percent-in-a-prefix-is-literal"),
    ('event.requestParameters.Query: "100_*"', set(), "underscore-in-a-prefix-is-literal"),
    ('event.requestParameters.Query: "1%*"', set(), "percent-is-not-a-wildcard"),
]


@pytest.mark.parametrize(("text", "expected"), [c[:2] for c in CONSTRUCTS], ids=[c[2] for c in CONSTRUCTS])
def test_each_construct_finds_exactly_its_records(seeded: Seeded, text: str, expected: set[str]) -> None:
    assert seeded.search(text) == expected


HOSTILE = [
    "'; DROP TABLE audit_records; --",
    "x' OR '1'='1",
    'Robert\\"); DELETE FROM audit_records; --',
    "%",
    "_",
    "\\\\",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    "template",
    [
        '"{v}"',
        'event.eventName: "{v}"',
        'event.eventName: "{v}*"',
        'event.requestParameters.KeyId: "{v}"',
        'NOT "{v}x"',
    ],
    ids=["term", "column", "column-prefix", "json", "not-term"],
)
def test_hostile_values_are_only_ever_values(seeded: Seeded, value: str, template: str) -> None:
    text = template.format(v=value)
    try:
        found = seeded.search(text)
    except Exception as error:  # a value with no letter or digit is not a term
        assert "expected a term with a letter or digit" in str(error)
    else:
        assert found in (set(), TRAIL)
    assert seeded.search("*") == TRAIL


def test_an_instance_log_store_holds_only_its_data_plane_records(seeded: Seeded) -> None:
    assert seeded.search("*", instance_id=INSTANCE) == KEYS_DATA_PLANE
    assert seeded.search("*", instance_id=SECRETS_INSTANCE) == SECRETS_DATA_PLANE
    assert seeded.search("event.eventName: Encrypt", instance_id=INSTANCE) == {"encrypt", "instance encrypt"}
    assert seeded.search("carol", instance_id=INSTANCE) == {"instance encrypt"}
    assert seeded.search("carol", instance_id=SECRETS_INSTANCE) == set()
    assert seeded.search("*", instance_id="kst-none") == set()
    assert seeded.search("*", instance_id=OTHER_INSTANCE) == set(), "another account's store"


def test_the_trail_holds_the_data_plane_records_of_every_instance_too(seeded: Seeded) -> None:
    assert KEYS_DATA_PLANE | SECRETS_DATA_PLANE <= TRAIL
    assert seeded.search("event.eventName: Encrypt") == {
        "encrypt",
        "instance encrypt",
        "encrypt rejected disabled",
    }
    assert seeded.search("carol") == {"instance encrypt"}
    assert seeded.search("NOT event.errorCode: * AND event.eventName: Decrypt") == {
        "decrypt by bob",
        "sibling key decrypt",
    }


def stats(
    seeded: Seeded, text: str, instance_id: str | None = None
) -> list[tuple[tuple[str | None, ...], int]]:
    with seeded.db.transaction(write=False) as tx:
        rows = store.stats(tx, ACCOUNT, compile_query(text, seeded.db.dialect), *WINDOW, instance_id)
    return [(row.values, row.count) for row in rows]


def test_stats_counts_per_value_most_first_then_by_value(seeded: Seeded) -> None:
    assert stats(seeded, "* | stats count() by event.serviceName") == [
        (("Kms",), 18),
        (("Actiontrail",), 1),
        (("Cms",), 1),
        (("Csms",), 1),
    ]


def test_stats_without_by_counts_the_matches(seeded: Seeded) -> None:
    assert stats(seeded, "event.errorCode: * | stats count()") == [((), 4)]
    assert stats(seeded, "nothing-matches-this") == [((), 0)]
    assert stats(seeded, "* | stats count()") == [((), len(TRAIL))]


def test_stats_over_an_instance_log_store_count_its_records_alone(seeded: Seeded) -> None:
    assert stats(seeded, "* | stats count()", instance_id=INSTANCE) == [((), len(KEYS_DATA_PLANE))]
    assert stats(seeded, "* | stats count() by event.eventName", instance_id=INSTANCE) == [
        (("Decrypt",), 2),
        (("Encrypt",), 2),
        (("GenerateDataKey",), 1),
    ]
    assert stats(seeded, "* | stats count()", instance_id=OTHER_INSTANCE) == [((), 0)]


def test_stats_by_several_fields_and_a_json_field(seeded: Seeded) -> None:
    found = stats(
        seeded,
        "event.eventName: GetSecretValue | stats count() by event.serviceName, event.requestParameters.SecretName",
    )
    assert found == [
        (("Csms", "SecretName"), 1),
        (("Kms", "OtherSecret"), 1),
        (("Kms", "SecretName"), 1),
        (("Kms", "SecretNameBackup"), 1),
        (("Kms", "prod/SecretName"), 1),
    ]


def test_stats_groups_records_without_the_field_last_among_equal_counts(seeded: Seeded) -> None:
    text = "event.eventName: PutSecretValue OR event.eventName: DisableKey | stats count() by event.requestParameters.KeyId"
    assert stats(seeded, text) == [(("key-szz63dc8c429ermur4f8a",), 1), ((None,), 1)]
    text = "event.eventRW: Write | stats count() by event.requestParameters.KeyId"
    assert stats(seeded, text)[0] == ((None,), 2)


def test_a_page_of_search_results_continues_with_its_cursor(seeded: Seeded) -> None:
    query = compile_query("Decr*", seeded.db.dialect)
    with seeded.db.transaction(write=False) as tx:
        first = store.search(tx, ACCOUNT, query, *WINDOW, limit=2)
        assert first.next is not None
        second = store.search(tx, ACCOUNT, query, *WINDOW, limit=2, after=first.next)
    assert seeded.names(first.records) + seeded.names(second.records) == [
        "decrypt rejected pending deletion",
        "sibling key decrypt",
        "decrypt by bob",
    ]
    assert second.next is None
