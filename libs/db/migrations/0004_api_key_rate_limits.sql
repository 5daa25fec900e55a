-- Up Migration

-- Per-key ingest rate limits (issue 5): readings per second refilled into the key's token bucket
-- and the bucket size. NULL = the gateway's default (RATE_LIMIT_READINGS_PER_S / RATE_LIMIT_BURST).
ALTER TABLE api_keys
  ADD COLUMN rate_limit_per_s double precision CHECK (rate_limit_per_s >= 0),
  ADD COLUMN rate_limit_burst double precision CHECK (rate_limit_burst > 0);

-- Down Migration

ALTER TABLE api_keys DROP COLUMN rate_limit_burst, DROP COLUMN rate_limit_per_s;
