import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool } from 'pg';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config';

export type UploadJobStatus = 'running' | 'succeeded' | 'failed';

export interface UploadJob {
  id: string;
  tenant: string;
  keyId: string;
  status: UploadJobStatus;
  fileName: string | null;
  options: unknown;
  bytesTotal: number | null;
  bytesRead: number;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  readingsAccepted: number;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface UploadProgress {
  bytesRead: number;
  rowsRead: number;
  rowsAccepted: number;
  rowsRejected: number;
  readingsAccepted: number;
}

export interface UploadRowError {
  row: number;
  column: string | null;
  message: string;
}

interface UploadJobRow {
  id: string;
  tenant: string;
  key_id: string;
  status: UploadJobStatus;
  file_name: string | null;
  options: unknown;
  bytes_total: string | null;
  bytes_read: string;
  rows_read: string;
  rows_accepted: string;
  rows_rejected: string;
  readings_accepted: string;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const JOB_COLUMNS = `id, tenant, key_id, status, file_name, options, bytes_total, bytes_read, rows_read,
  rows_accepted, rows_rejected, readings_accepted, error, created_at, updated_at, finished_at`;

/** upload_jobs and upload_job_errors (migration 0007). Every read is scoped to a tenant. */
@Injectable()
export class UploadJobsRepository {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async create(job: {
    id: string;
    tenant: string;
    keyId: string;
    fileName: string | null;
    options: unknown;
    bytesTotal: number | null;
  }): Promise<void> {
    await this.pool.query(
      `INSERT INTO upload_jobs (id, tenant, key_id, status, file_name, options, bytes_total)
       VALUES ($1, $2, $3, 'running', $4, $5, $6)`,
      [job.id, job.tenant, job.keyId, job.fileName, JSON.stringify(job.options), job.bytesTotal],
    );
  }

  /**
   * A running job whose heartbeat (the progress write every UPLOAD_PROGRESS_INTERVAL_MS) stopped
   * belonged to a gateway that died mid-upload: it is failed here, on read, so its state is final
   * and the client knows to upload again, whichever replica it asks.
   */
  async find(tenant: string, id: string): Promise<UploadJob | undefined> {
    const { rows } = await this.pool.query<UploadJobRow>(
      `WITH stale AS (
         UPDATE upload_jobs
            SET status = 'failed', finished_at = now(),
                error = 'the gateway running this job stopped (no progress for ' ||
                        round(extract(epoch FROM now() - updated_at)) || ' s); upload the file again'
          WHERE tenant = $1 AND id = $2 AND status = 'running'
            AND updated_at < now() - make_interval(secs => $3::float8 / 1000)
         RETURNING ${JOB_COLUMNS})
       SELECT ${JOB_COLUMNS} FROM stale
       UNION ALL
       SELECT ${JOB_COLUMNS} FROM upload_jobs
        WHERE tenant = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM stale)`,
      [tenant, id, this.config.UPLOAD_STALE_AFTER_MS],
    );
    return rows[0] === undefined ? undefined : toJob(rows[0]);
  }

  async updateProgress(id: string, progress: UploadProgress): Promise<void> {
    await this.pool.query(
      `UPDATE upload_jobs SET bytes_read = $2, rows_read = $3, rows_accepted = $4,
         rows_rejected = $5, readings_accepted = $6, updated_at = now()
       WHERE id = $1 AND status = 'running'`,
      [
        id,
        progress.bytesRead,
        progress.rowsRead,
        progress.rowsAccepted,
        progress.rowsRejected,
        progress.readingsAccepted,
      ],
    );
  }

  /** Stores row errors; rows already stored for the job are left as they are. */
  async addRowErrors(id: string, errors: readonly UploadRowError[]): Promise<void> {
    if (errors.length === 0) return;
    await this.pool.query(
      `INSERT INTO upload_job_errors (job_id, row_number, column_name, message)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[])
       ON CONFLICT DO NOTHING`,
      [
        id,
        errors.map((error) => error.row),
        errors.map((error) => error.column),
        errors.map((error) => error.message),
      ],
    );
  }

  async finish(
    id: string,
    outcome: { status: 'succeeded'; resultCsv: string } | { status: 'failed'; error: string },
    progress: UploadProgress,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE upload_jobs SET status = $2, result_csv = $3, error = $4, bytes_read = $5,
         rows_read = $6, rows_accepted = $7, rows_rejected = $8, readings_accepted = $9,
         updated_at = now(), finished_at = now()
       WHERE id = $1`,
      [
        id,
        outcome.status,
        outcome.status === 'succeeded' ? outcome.resultCsv : null,
        outcome.status === 'failed' ? outcome.error : null,
        progress.bytesRead,
        progress.rowsRead,
        progress.rowsAccepted,
        progress.rowsRejected,
        progress.readingsAccepted,
      ],
    );
  }

  async rowErrors(
    tenant: string,
    id: string,
    page: { afterRow: number; limit: number },
  ): Promise<UploadRowError[]> {
    const { rows } = await this.pool.query<{
      row_number: string;
      column_name: string | null;
      message: string;
    }>(
      `SELECT e.row_number, e.column_name, e.message
       FROM upload_job_errors e JOIN upload_jobs j ON j.id = e.job_id
       WHERE j.tenant = $1 AND e.job_id = $2 AND e.row_number > $3
       ORDER BY e.row_number LIMIT $4`,
      [tenant, id, page.afterRow, page.limit],
    );
    return rows.map((row) => ({
      row: Number(row.row_number),
      column: row.column_name,
      message: row.message,
    }));
  }

  async resultCsv(tenant: string, id: string): Promise<string | null | undefined> {
    const { rows } = await this.pool.query<{ result_csv: string | null }>(
      'SELECT result_csv FROM upload_jobs WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    return rows[0] === undefined ? undefined : rows[0].result_csv;
  }
}

function toJob(row: UploadJobRow): UploadJob {
  return {
    id: row.id,
    tenant: row.tenant,
    keyId: row.key_id,
    status: row.status,
    fileName: row.file_name,
    options: row.options,
    bytesTotal: row.bytes_total === null ? null : Number(row.bytes_total),
    bytesRead: Number(row.bytes_read),
    rowsRead: Number(row.rows_read),
    rowsAccepted: Number(row.rows_accepted),
    rowsRejected: Number(row.rows_rejected),
    readingsAccepted: Number(row.readings_accepted),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
