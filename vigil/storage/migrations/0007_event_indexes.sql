-- Indexes measured by bench/events_store.py on a million events (docs/benchmarks.md, "Event center"):
-- each filter index ends in seq, so a scan yields rows in the ORDER BY of a page (time_ms DESC,
-- seq DESC) and stops at the LIMIT; (account_id, seq) serves the live stream's tail; (time_ms)
-- serves the retention job, whose filter has no account.
DROP INDEX system_events_time;
DROP INDEX system_events_product;
DROP INDEX system_events_name;
DROP INDEX system_events_level;
CREATE INDEX system_events_time ON system_events (account_id, time_ms, seq);
CREATE INDEX system_events_product ON system_events (account_id, product_key, time_ms, seq);
CREATE INDEX system_events_name ON system_events (account_id, name, time_ms, seq);
CREATE INDEX system_events_level ON system_events (account_id, level, time_ms, seq);
CREATE INDEX system_events_tail ON system_events (account_id, seq);
CREATE INDEX system_events_expiry ON system_events (time_ms);
CREATE INDEX custom_events_expiry ON custom_events (time_ms);
