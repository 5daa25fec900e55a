-- Up Migration

-- The batch layer touches one hour (or day) of every series at a time: the stale-row delete, the
-- power-series lookup and the daily merge filter rollups on `bucket` alone, which the primary keys
-- (tenant, device, metric, bucket) cannot serve, so each hourly run scanned the whole table
-- (2000 series x 90 days of hours: 2.4 s for the delete, 1 s for the lookup; with the index 6 ms and
-- 0.4 ms). Hypertables (migration 0003) already have `<table>_bucket_idx` from create_hypertable,
-- hence IF NOT EXISTS. Built inside the migration transaction: writes to the rollups wait for it.
CREATE INDEX IF NOT EXISTS rollups_1h_bucket_idx ON rollups_1h (bucket);
CREATE INDEX IF NOT EXISTS rollups_1d_bucket_idx ON rollups_1d (bucket);

-- Down Migration

DROP INDEX IF EXISTS rollups_1d_bucket_idx;
DROP INDEX IF EXISTS rollups_1h_bucket_idx;
