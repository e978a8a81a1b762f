-- Secrets, their versions (envelope-encrypted), stage labels, rotations, consumers and their notices.
CREATE TABLE secrets (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    secret_name TEXT NOT NULL,
    secret_id TEXT NOT NULL UNIQUE,
    instance_id TEXT NOT NULL REFERENCES kms_instances (instance_id),
    secret_type TEXT NOT NULL,
    description TEXT NOT NULL,
    encryption_key_id TEXT NOT NULL,
    extended_config TEXT NOT NULL,
    automatic_rotation INTEGER NOT NULL,
    rotation_interval_s BIGINT,
    last_rotation_at BIGINT,
    next_rotation_at BIGINT,
    state TEXT NOT NULL,
    planned_delete_at BIGINT,
    rotating_id TEXT,
    rotating_until BIGINT,
    event_subscriptions TEXT NOT NULL,
    enterprise_project_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, secret_name)
);
CREATE INDEX secrets_deletion_due ON secrets (state, planned_delete_at);
CREATE INDEX secrets_rotation_due ON secrets (next_rotation_at);

CREATE TABLE secret_versions (
    account_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    data_type TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed_data_key BYTEA NOT NULL,
    sealed_value BYTEA NOT NULL,
    expire_at BIGINT,
    expired_recorded_at BIGINT,
    PRIMARY KEY (account_id, secret_name, version_id),
    FOREIGN KEY (account_id, secret_name) REFERENCES secrets (account_id, secret_name)
);
CREATE INDEX secret_versions_expiry ON secret_versions (expired_recorded_at, expire_at);

CREATE TABLE secret_stages (
    account_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    stage TEXT NOT NULL,
    version_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, secret_name, stage),
    FOREIGN KEY (account_id, secret_name, version_id)
        REFERENCES secret_versions (account_id, secret_name, version_id)
);

CREATE TABLE secret_rotations (
    rotation_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    version_id TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX secret_rotations_secret ON secret_rotations (account_id, secret_name, started_at);

CREATE TABLE secret_consumers (
    account_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, secret_name, consumer_name)
);

CREATE TABLE secret_notices (
    notice_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    secret_name TEXT NOT NULL,
    consumer_name TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    version_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX secret_notices_due ON secret_notices (status, next_attempt_at);
