-- Accounts, RAM-style users, access keys (secrets wrapped by the root key) and policies.
CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL UNIQUE,
    region TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    user_name TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    comments TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_name)
);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    user_name TEXT,
    wrapped_secret BYTEA NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (account_id, user_name);

CREATE TABLE policies (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    policy_name TEXT NOT NULL,
    description TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, policy_name)
);

CREATE TABLE policy_attachments (
    account_id TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    user_name TEXT NOT NULL,
    attached_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, policy_name, user_name),
    FOREIGN KEY (account_id, policy_name) REFERENCES policies (account_id, policy_name),
    FOREIGN KEY (account_id, user_name) REFERENCES users (account_id, user_name)
);
