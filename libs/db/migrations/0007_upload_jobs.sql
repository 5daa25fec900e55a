-- Up Migration

-- CSV upload jobs (POST /api/v1/uploads). The state lives here rather than in the gateway's memory
-- so that any gateway replica can answer GET /api/v1/uploads/:id while another one streams the
-- file; the replica running the job writes its progress every UPLOAD_PROGRESS_INTERVAL_MS.

CREATE TABLE upload_jobs (
  id text PRIMARY KEY,
  tenant text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- the key that uploaded: it may read its own job without the read scope
  key_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  file_name text,
  -- the column mapping and time format the file was read with (JSON, for the record)
  options jsonb NOT NULL,
  -- Content-Length of the upload when the client sent one (progress = bytes_read / bytes_total)
  bytes_total bigint,
  bytes_read bigint NOT NULL DEFAULT 0,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_accepted bigint NOT NULL DEFAULT 0,
  rows_rejected bigint NOT NULL DEFAULT 0,
  readings_accepted bigint NOT NULL DEFAULT 0,
  -- why a job failed as a whole (malformed CSV, Kafka unavailable for too long, upload cut off)
  error text,
  -- the result file: one row per device and metric, written when the job succeeds
  result_csv text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);

CREATE INDEX upload_jobs_tenant_created_idx ON upload_jobs (tenant, created_at DESC);

-- Per-row errors of a job, capped at UPLOAD_MAX_ERROR_ROWS per job (rows_rejected counts them all).
CREATE TABLE upload_job_errors (
  job_id text NOT NULL REFERENCES upload_jobs (id) ON DELETE CASCADE,
  row_number bigint NOT NULL,
  column_name text,
  message text NOT NULL,
  PRIMARY KEY (job_id, row_number)
);

-- Down Migration

DROP TABLE upload_job_errors;
DROP TABLE upload_jobs;
