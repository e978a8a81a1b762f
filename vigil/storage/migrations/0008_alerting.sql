-- Alerting: contacts, event rules and their targets, subscriptions (Vigil's and Huawei's secret
-- events), silences, the outbox written with each event, merge groups, notifications and the
-- delivery records (one per target and notification).
CREATE TABLE contacts (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    lang TEXT NOT NULL,
    channels TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE contact_groups (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    contacts TEXT NOT NULL,
    enable_subscribed INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE event_rules (
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    event_type TEXT NOT NULL,
    state TEXT NOT NULL,
    silence_time_s BIGINT NOT NULL,
    group_id TEXT NOT NULL,
    patterns TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE event_rule_targets (
    account_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    target_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (account_id, rule_name, target_id)
);

CREATE TABLE subscriptions (
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    subscription_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, name)
);

CREATE TABLE silences (
    silence_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    matchers TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    recurrence TEXT,
    author TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX silences_account ON silences (account_id, ends_at);

CREATE TABLE alert_outbox (
    seq {{AUTO_ID}},
    account_id TEXT NOT NULL,
    event_kind TEXT NOT NULL,
    event_id TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE alert_marks (
    account_id TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    mark TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, source_kind, source_name, mark)
);

CREATE TABLE alert_hits (
    seq {{AUTO_ID}},
    account_id TEXT NOT NULL,
    source_name TEXT NOT NULL,
    group_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    time_ms BIGINT NOT NULL
);
CREATE INDEX alert_hits_window ON alert_hits (account_id, source_name, group_key, time_ms);

CREATE TABLE alert_groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    group_key TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    flush_at BIGINT NOT NULL,
    event_count INTEGER NOT NULL
);
CREATE UNIQUE INDEX alert_groups_open ON alert_groups (account_id, source_kind, source_name, group_key);
CREATE INDEX alert_groups_due ON alert_groups (flush_at);

CREATE TABLE alert_group_events (
    seq {{AUTO_ID}},
    group_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX alert_group_events_group ON alert_group_events (group_id, seq);

CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    group_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_count INTEGER NOT NULL,
    content TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    acked_by TEXT,
    ack_comment TEXT,
    escalation_level INTEGER NOT NULL,
    next_escalation_at BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, created_at);
CREATE INDEX notifications_escalation ON notifications (next_escalation_at);

CREATE TABLE notification_records (
    seq {{AUTO_ID}},
    record_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    trigger_event_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    secret_type TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    source_name TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    last_error TEXT NOT NULL,
    latency_ms DOUBLE PRECISION,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_holder TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
CREATE INDEX notification_records_account ON notification_records (account_id, seq);
CREATE INDEX notification_records_due ON notification_records (status, next_attempt_at);
CREATE INDEX notification_records_created ON notification_records (created_at);
