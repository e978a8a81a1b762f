-- KMS instances (kst-...): the unit that carries quotas, QPS and logs.
CREATE TABLE kms_instances (
    instance_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (account_id),
    instance_name TEXT NOT NULL,
    is_default INTEGER NOT NULL,
    key_quota INTEGER NOT NULL,
    secret_quota INTEGER NOT NULL,
    access_management_quota INTEGER NOT NULL,
    log_storage_gb INTEGER NOT NULL,
    qps_quota INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);
