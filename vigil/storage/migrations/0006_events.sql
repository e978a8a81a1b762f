-- System events (catalog events raised by Vigil or ingested from registered products),
-- custom events (PutCustomEvent), and the arm state of quota thresholds.
CREATE TABLE system_events (
    seq {{AUTO_ID}},
    event_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    product TEXT NOT NULL,
    product_key TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL,
    group_id TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    instance_name TEXT NOT NULL,
    region_id TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    content TEXT NOT NULL,
    search_text TEXT NOT NULL,
    is_drill INTEGER NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX system_events_time ON system_events (account_id, time_ms);
CREATE INDEX system_events_product ON system_events (account_id, product_key, time_ms);
CREATE INDEX system_events_name ON system_events (account_id, name, time_ms);
CREATE INDEX system_events_level ON system_events (account_id, level, time_ms);

CREATE TABLE custom_events (
    seq {{AUTO_ID}},
    event_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    group_id TEXT NOT NULL,
    content TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX custom_events_time ON custom_events (account_id, time_ms);
CREATE INDEX custom_events_name ON custom_events (account_id, name, time_ms);

CREATE TABLE quota_arms (
    instance_id TEXT NOT NULL,
    quota TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    armed INTEGER NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, quota, threshold)
);
