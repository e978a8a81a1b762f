-- The audit trail: one row per API call or background action, in the shape of an ActionTrail event.
-- record holds the event JSON; the scalar fields are columns as well, so filters and indexes need no
-- JSON. search_text is the lower-cased words a bare full-text term matches (vigil/audit/fulltext.py),
-- with a space at either end. Records with an instance_id belong to that KMS instance's log store.
CREATE TABLE audit_records (
    seq {{AUTO_ID}},
    event_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    event_time_ms BIGINT NOT NULL,
    service_name TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_rw TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_source TEXT NOT NULL,
    request_id TEXT NOT NULL,
    acs_region TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    identity_type TEXT NOT NULL,
    principal_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    api_version TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    record TEXT NOT NULL,
    search_text TEXT NOT NULL,
    size_bytes INTEGER NOT NULL
);
-- Pages are ordered by (event_time_ms, seq), so every index a page is read through ends in those two:
-- the scan yields rows in page order and stops at the LIMIT. The trail (every record, data-plane ones
-- included) is read through audit_records_trail when a page has no attribute, an instance's log store
-- through audit_records_time; each LookupEvents attribute has its own (EventId: the UNIQUE index
-- above). Errors are rare, so their index holds only them.
CREATE INDEX audit_records_trail ON audit_records (account_id, event_time_ms, seq);
CREATE INDEX audit_records_time ON audit_records (account_id, instance_id, event_time_ms, seq);
CREATE INDEX audit_records_service ON audit_records (account_id, service_name, event_time_ms, seq);
CREATE INDEX audit_records_event_name ON audit_records (account_id, event_name, event_time_ms, seq);
CREATE INDEX audit_records_user ON audit_records (account_id, user_name, event_time_ms, seq);
CREATE INDEX audit_records_resource_type ON audit_records (account_id, resource_type, event_time_ms, seq);
CREATE INDEX audit_records_resource_name ON audit_records (account_id, resource_name, event_time_ms, seq);
CREATE INDEX audit_records_event_rw ON audit_records (account_id, event_rw, event_time_ms, seq);
CREATE INDEX audit_records_access_key ON audit_records (account_id, access_key_id, event_time_ms, seq);
CREATE INDEX audit_records_error ON audit_records (account_id, error_code, event_time_ms, seq) WHERE error_code <> '';
-- Retention deletes per account through audit_records_time (the trail's records after 90 days) and per
-- instance through this one (an instance's after 180), which also answers the size of an instance's
-- log store without reading the table.
CREATE INDEX audit_records_instance ON audit_records (instance_id, event_time_ms, size_bytes) WHERE instance_id <> '';

-- dialect: sqlite
-- Full-text terms: an FTS5 index over search_text, kept by triggers (records are never updated).
-- search_text is already lower-case words split by single spaces, and the ascii tokenizer splits at
-- ASCII punctuation and spaces only, so its tokens are exactly those words, in any script.
-- detail=none stores which rows hold a word and nothing else: the LIKE check on search_text decides
-- phrases, so positions would only cost space and insert time.
CREATE VIRTUAL TABLE audit_fts USING fts5(
    search_text,
    content='audit_records',
    content_rowid='seq',
    detail=none,
    columnsize=0,
    tokenize='ascii'
);
CREATE TRIGGER audit_fts_insert AFTER INSERT ON audit_records BEGIN
    INSERT INTO audit_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER audit_fts_delete AFTER DELETE ON audit_records BEGIN
    INSERT INTO audit_fts (audit_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;

-- dialect: postgresql
-- Full-text terms: a GIN index over the words of search_text, taken as they are (split at the single
-- spaces between them, no text-search parser: it would split some words its own way, and costs more).
CREATE INDEX audit_records_words ON audit_records USING gin (array_to_tsvector(string_to_array(btrim(search_text), ' ')));
