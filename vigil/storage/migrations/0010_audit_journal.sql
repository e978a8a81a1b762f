-- How far the indexer has copied each audit journal segment into audit_records (byte offset of the
-- first line not yet copied). The offset moves in the transaction that inserts the lines, so every
-- journal line becomes exactly one record, whichever process indexes it and however it stops.
CREATE TABLE audit_journal (
    segment TEXT PRIMARY KEY,
    indexed_bytes BIGINT NOT NULL
);
