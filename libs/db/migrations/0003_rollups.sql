-- Up Migration

-- Batch layer (issue 4): hourly and daily rollups recomputed from `readings`, the runs that
-- computed them, dirty buckets (late readings) and the per-tenant rules and tariffs they apply.
-- Names are unqualified so the runner's schema (search_path) decides where objects live.

-- One row per (tenant, device, metric, hour). Every statistic is kept so any headline (avg, max,
-- …) and the standard deviation derive from it and days merge from hours. Written by upsert from a
-- recomputation of the whole bucket, so a rerun replaces a row, never adds to it.
CREATE TABLE rollups_1h (
  tenant text NOT NULL,
  device text NOT NULL,
  metric text NOT NULL,
  bucket timestamptz NOT NULL,
  count bigint NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  first double precision NOT NULL,
  first_time timestamptz NOT NULL,
  last double precision NOT NULL,
  last_time timestamptz NOT NULL,
  sum_squares double precision NOT NULL,
  anomalies bigint NOT NULL DEFAULT 0,
  unit text,
  -- power metrics only: energy integrated over the bucket (Wh) and its cost at the tenant's tariff
  energy_wh double precision,
  cost double precision,
  computed_at timestamptz NOT NULL DEFAULT now(),
  run_id bigint,
  CONSTRAINT rollups_1h_pkey PRIMARY KEY (tenant, device, metric, bucket)
);

-- Days start at local midnight of the batch layer's time zone (BATCH_TIME_ZONE); merged from hours.
CREATE TABLE rollups_1d (LIKE rollups_1h INCLUDING DEFAULTS);
ALTER TABLE rollups_1d ADD CONSTRAINT rollups_1d_pkey PRIMARY KEY (tenant, device, metric, bucket);

-- Every job run: what range, who ran it, how it ended. Visible through GET /api/v1/batch/runs.
CREATE TABLE batch_runs (
  id bigserial PRIMARY KEY,
  job text NOT NULL CHECK (job IN ('hourly', 'daily', 'dirty', 'backfill', 'retention')),
  tenant text,
  range_from timestamptz,
  range_to timestamptz,
  -- backfill filters (devices/metrics) and progress
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
  attempt integer NOT NULL DEFAULT 1,
  runner text NOT NULL,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  duration_ms bigint,
  error text
);
CREATE INDEX batch_runs_started_idx ON batch_runs (started_at DESC);
CREATE INDEX batch_runs_running_idx ON batch_runs (status) WHERE status = 'running';

-- Per job: everything before `completed_until` is computed; a failed job waits until `retry_at`.
CREATE TABLE batch_watermarks (
  job text PRIMARY KEY,
  completed_until timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  retry_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Hours of a series that received readings after they ended (the raw sink marks them in the same
-- statement as the insert). `version` changes on every re-mark so the batch layer only clears a
-- mark it has recomputed, never one a newer reading set after it read the data.
CREATE SEQUENCE dirty_bucket_versions;
CREATE TABLE dirty_buckets (
  tenant text NOT NULL,
  device text NOT NULL,
  metric text NOT NULL,
  bucket timestamptz NOT NULL,
  version bigint NOT NULL DEFAULT nextval('dirty_bucket_versions'),
  marked_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dirty_buckets_pkey PRIMARY KEY (tenant, device, metric, bucket)
);
CREATE INDEX dirty_buckets_bucket_idx ON dirty_buckets (bucket);

-- Headline rule per tenant (or '*' for all tenants) and metric; kind 'power' also integrates energy.
CREATE TABLE aggregation_rules (
  tenant text NOT NULL,
  metric text NOT NULL,
  kind text NOT NULL
    CHECK (kind IN ('gauge', 'temperature', 'utilisation', 'power', 'counter', 'anomaly')),
  headline text CHECK (headline IN ('avg', 'max', 'min', 'sum', 'last', 'count')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, metric)
);

-- Energy tariff per tenant (flat or time-of-use, see @sluice/rollups Tariff), as JSON.
CREATE TABLE tariffs (
  tenant text PRIMARY KEY,
  tariff jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- TimescaleDB (when 0002 made readings a hypertable): rollups become hypertables too, raw chunks
-- are compressed after 7 days and dropped after 90, hourly rollups after 2 years (the retention
-- service re-applies the configured intervals at start). Without it, the retention service deletes
-- in bounded batches and plain B-tree primary keys serve the range scans.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('rollups_1h', 'bucket',
      chunk_time_interval => INTERVAL '30 days', if_not_exists => TRUE);
    PERFORM create_hypertable('rollups_1d', 'bucket',
      chunk_time_interval => INTERVAL '365 days', if_not_exists => TRUE);
    ALTER TABLE readings SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'tenant, device, metric',
      timescaledb.compress_orderby = 'time'
    );
    PERFORM add_compression_policy('readings', INTERVAL '7 days', if_not_exists => TRUE);
    PERFORM add_retention_policy('readings', INTERVAL '90 days', if_not_exists => TRUE);
    PERFORM add_retention_policy('rollups_1h', INTERVAL '730 days', if_not_exists => TRUE);
  END IF;
END
$$;

-- Down Migration

DROP TABLE tariffs;
DROP TABLE aggregation_rules;
DROP TABLE dirty_buckets;
DROP SEQUENCE dirty_bucket_versions;
DROP TABLE batch_watermarks;
DROP TABLE batch_runs;
DROP TABLE rollups_1d;
DROP TABLE rollups_1h;
