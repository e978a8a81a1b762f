-- Keys, their versions (material wrapped by the root key), aliases and tags.
CREATE TABLE keys (
    key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    instance_id TEXT NOT NULL REFERENCES kms_instances (instance_id),
    description TEXT NOT NULL,
    key_spec TEXT NOT NULL,
    key_usage TEXT NOT NULL,
    origin TEXT NOT NULL,
    protection_level TEXT NOT NULL,
    state TEXT NOT NULL,
    creator TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delete_date BIGINT,
    destroyed_at BIGINT,
    primary_version_id TEXT NOT NULL,
    automatic_rotation TEXT NOT NULL,
    rotation_interval_s BIGINT,
    last_rotation_at BIGINT,
    next_rotation_at BIGINT,
    deletion_protection INTEGER NOT NULL,
    deletion_protection_description TEXT NOT NULL
);
CREATE INDEX keys_deletion_due ON keys (state, delete_date);
CREATE INDEX keys_rotation_due ON keys (next_rotation_at);
CREATE INDEX keys_account ON keys (account_id, created_at);

CREATE TABLE key_versions (
    key_id TEXT NOT NULL REFERENCES keys (key_id),
    version_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    wrapped_material BYTEA,
    PRIMARY KEY (key_id, version_id)
);

CREATE TABLE aliases (
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    alias_name TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES keys (key_id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, alias_name)
);
CREATE INDEX aliases_key ON aliases (key_id);

CREATE TABLE resource_tags (
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (resource_type, resource_id, tag_key)
);
