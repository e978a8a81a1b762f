-- The bytes each KMS instance's log store holds (the sum of size_bytes of its audit records), kept
-- as a running total: the indexer adds what it stores and retention subtracts what it deletes, in
-- the same transactions, so the log quota is checked without summing the instance's records.
CREATE TABLE audit_log_usage (
    instance_id TEXT PRIMARY KEY,
    stored_bytes BIGINT NOT NULL
);
INSERT INTO audit_log_usage (instance_id, stored_bytes)
SELECT instance_id, SUM(size_bytes) FROM audit_records WHERE instance_id <> '' GROUP BY instance_id;
