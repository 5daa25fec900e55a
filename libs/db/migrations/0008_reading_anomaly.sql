-- Up Migration

-- The stream-transformer flags readings its anomaly detectors fired on (clean contract field
-- `anomaly`); the batch layer counts them into the rollups' `anomalies` column. Nullable without a
-- default (NULL = not flagged): adding it is a catalogue-only change, also on a compressed
-- hypertable, and rows stored before this migration read as not anomalous.
ALTER TABLE readings ADD COLUMN anomaly boolean;

-- Down Migration

ALTER TABLE readings DROP COLUMN anomaly;
