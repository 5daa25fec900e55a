-- Up Migration

-- The master data set of the lambda architecture: every accepted reading, append-only, written by
-- the aggregator's raw sink and read by the batch layer. The primary key is the idempotency key:
-- the raw sink inserts with ON CONFLICT DO NOTHING, so Kafka replays never duplicate a row. No
-- foreign key to devices: readings of devices not (yet) registered are kept, not refused.
-- Names are unqualified so the runner's schema (search_path) decides where the table lives.

CREATE TABLE readings (
  tenant text NOT NULL,
  device text NOT NULL,
  metric text NOT NULL,
  time timestamptz NOT NULL,
  value double precision NOT NULL,
  unit text,
  -- when the raw sink stored the row (transaction time): lets the batch layer find rows that
  -- arrived after it rolled up their bucket
  ingested_at timestamptz NOT NULL DEFAULT now(),
  -- includes time, as TimescaleDB requires of every unique index on a hypertable
  CONSTRAINT readings_pkey PRIMARY KEY (tenant, device, metric, time)
);

COMMENT ON TABLE readings IS
  'Raw readings (master data set). Unique on (tenant, device, metric, time); hypertable when TimescaleDB is installed.';

-- TimescaleDB when the server has it; plain PostgreSQL otherwise. Installing the extension needs it
-- in shared_preload_libraries, so a failure to create it is reported and the plain path is taken.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN others THEN
      RAISE NOTICE 'timescaledb is available but could not be created (%); readings stays a plain table', SQLERRM;
    END;
  END IF;

  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    -- One-day chunks: a day of a busy fleet fits memory, and retention drops whole days.
    -- create_hypertable also creates the time index the batch layer's range scans use.
    PERFORM create_hypertable('readings', 'time',
      chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE);
  ELSE
    -- Plain PostgreSQL: rows arrive roughly in time order, so a BRIN index serves the batch layer's
    -- time-range scans at almost no write cost (a B-tree on time would cost every insert).
    CREATE INDEX readings_time_brin_idx ON readings USING brin (time) WITH (pages_per_range = 32);
  END IF;
END
$$;

-- Down Migration

DROP TABLE readings;
