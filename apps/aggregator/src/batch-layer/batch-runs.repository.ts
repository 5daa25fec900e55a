import type { Pool, PoolClient } from 'pg';

export type BatchJob = 'hourly' | 'daily' | 'dirty' | 'backfill' | 'retention';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface BatchRun {
  id: number;
  job: BatchJob;
  tenant: string | null;
  rangeFrom: number | null;
  rangeTo: number | null;
  details: Record<string, unknown>;
  status: RunStatus;
  attempt: number;
  runner: string;
  rowsRead: number;
  rowsWritten: number;
  startedAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  error: string | null;
}

export interface Watermark {
  job: BatchJob;
  completedUntil: number;
  failedAttempts: number;
  retryAt: number | null;
}

export interface RunQuery {
  job?: BatchJob;
  status?: RunStatus;
  /** Runs of this tenant plus the tenant-less scheduled ones. */
  tenant?: string;
  limit: number;
  beforeId?: number;
}

/** SQL on batch_runs and batch_watermarks (migration 0003). */
export class BatchRunsRepository {
  constructor(private readonly pool: Pool) {}

  async start(
    run: Pick<
      BatchRun,
      'job' | 'tenant' | 'rangeFrom' | 'rangeTo' | 'details' | 'attempt' | 'runner'
    >,
  ): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO batch_runs (job, tenant, range_from, range_to, details, status, attempt, runner)
       VALUES ($1, $2, to_timestamp($3::float8 / 1000), to_timestamp($4::float8 / 1000), $5,
               'running', $6, $7)
       RETURNING id`,
      [run.job, run.tenant, run.rangeFrom, run.rangeTo, run.details, run.attempt, run.runner],
    );
    return Number(rows[0].id);
  }

  /** Marks a run finished, in the transaction that committed its effects when `client` is given. */
  async finish(
    id: number,
    outcome: {
      status: 'succeeded' | 'failed';
      rowsRead: number;
      rowsWritten: number;
      error?: string;
    },
    client: Pool | PoolClient = this.pool,
  ): Promise<void> {
    await client.query(
      `UPDATE batch_runs SET status = $2, rows_read = $3, rows_written = $4, error = $5,
              finished_at = clock_timestamp(),
              duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint
        WHERE id = $1`,
      [id, outcome.status, outcome.rowsRead, outcome.rowsWritten, outcome.error ?? null],
    );
  }

  async updateDetails(id: number, details: Record<string, unknown>): Promise<void> {
    await this.pool.query(`UPDATE batch_runs SET details = details || $2::jsonb WHERE id = $1`, [
      id,
      details,
    ]);
  }

  /**
   * Runs left `running` by a runner that no longer holds the scheduler lock (it crashed): they are
   * marked `interrupted`; their transactions rolled back, so the ranges simply run again.
   */
  async interruptOrphans(jobs: ReadonlyArray<BatchJob>): Promise<number> {
    const result = await this.pool.query(
      `UPDATE batch_runs SET status = 'interrupted', finished_at = now(),
              error = 'runner stopped before the run finished (crash or shutdown); range re-run'
        WHERE status = 'running' AND job = ANY($1::text[])`,
      [jobs],
    );
    return result.rowCount ?? 0;
  }

  async list(query: RunQuery): Promise<BatchRun[]> {
    const params: unknown[] = [query.limit];
    const clauses: string[] = [];
    if (query.job) {
      params.push(query.job);
      clauses.push(`job = $${params.length}`);
    }
    if (query.status) {
      params.push(query.status);
      clauses.push(`status = $${params.length}`);
    }
    if (query.tenant) {
      params.push(query.tenant);
      clauses.push(`(tenant IS NULL OR tenant = $${params.length})`);
    }
    if (query.beforeId !== undefined) {
      params.push(query.beforeId);
      clauses.push(`id < $${params.length}`);
    }
    const { rows } = await this.pool.query<RunRow>(
      `SELECT id, job, tenant, extract(epoch FROM range_from) * 1000 AS range_from_ms,
              extract(epoch FROM range_to) * 1000 AS range_to_ms, details, status, attempt, runner,
              rows_read, rows_written, extract(epoch FROM started_at) * 1000 AS started_ms,
              extract(epoch FROM finished_at) * 1000 AS finished_ms, duration_ms, error
         FROM batch_runs ${clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT $1`,
      params,
    );
    return rows.map(toRun);
  }

  async get(id: number): Promise<BatchRun | null> {
    const { rows } = await this.pool.query<RunRow>(
      `SELECT id, job, tenant, extract(epoch FROM range_from) * 1000 AS range_from_ms,
              extract(epoch FROM range_to) * 1000 AS range_to_ms, details, status, attempt, runner,
              rows_read, rows_written, extract(epoch FROM started_at) * 1000 AS started_ms,
              extract(epoch FROM finished_at) * 1000 AS finished_ms, duration_ms, error
         FROM batch_runs WHERE id = $1`,
      [id],
    );
    return rows.length > 0 ? toRun(rows[0]) : null;
  }

  async watermark(job: BatchJob, client: Pool | PoolClient = this.pool): Promise<Watermark | null> {
    const { rows } = await client.query<{
      completed_ms: string;
      failed_attempts: number;
      retry_ms: string | null;
    }>(
      `SELECT extract(epoch FROM completed_until) * 1000 AS completed_ms, failed_attempts,
              extract(epoch FROM retry_at) * 1000 AS retry_ms
         FROM batch_watermarks WHERE job = $1`,
      [job],
    );
    if (rows.length === 0) return null;
    return {
      job,
      completedUntil: Math.round(Number(rows[0].completed_ms)),
      failedAttempts: rows[0].failed_attempts,
      retryAt: rows[0].retry_ms === null ? null : Math.round(Number(rows[0].retry_ms)),
    };
  }

  /** Creates the watermark at `initialMs` unless it exists. */
  async initWatermark(job: BatchJob, initialMs: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO batch_watermarks (job, completed_until)
       VALUES ($1, to_timestamp($2::float8 / 1000)) ON CONFLICT (job) DO NOTHING`,
      [job, initialMs],
    );
  }

  /** Advances the watermark and clears failures, in the transaction of the run's effects. */
  async advance(client: PoolClient, job: BatchJob, completedUntilMs: number): Promise<void> {
    await client.query(
      `UPDATE batch_watermarks SET completed_until = greatest(completed_until, to_timestamp($2::float8 / 1000)),
              failed_attempts = 0, retry_at = NULL, updated_at = now()
        WHERE job = $1`,
      [job, completedUntilMs],
    );
  }

  /** Counts a failure and sets when the job may try again; returns the attempt count. */
  async recordFailure(job: BatchJob, retryAtMs: number): Promise<number> {
    const { rows } = await this.pool.query<{ failed_attempts: number }>(
      `UPDATE batch_watermarks SET failed_attempts = failed_attempts + 1,
              retry_at = to_timestamp($2::float8 / 1000), updated_at = now()
        WHERE job = $1 RETURNING failed_attempts`,
      [job, retryAtMs],
    );
    return rows[0]?.failed_attempts ?? 1;
  }
}

interface RunRow {
  id: string;
  job: BatchJob;
  tenant: string | null;
  range_from_ms: string | null;
  range_to_ms: string | null;
  details: Record<string, unknown>;
  status: RunStatus;
  attempt: number;
  runner: string;
  rows_read: string;
  rows_written: string;
  started_ms: string;
  finished_ms: string | null;
  duration_ms: string | null;
  error: string | null;
}

const msOrNull = (value: string | null): number | null =>
  value === null ? null : Math.round(Number(value));

function toRun(row: RunRow): BatchRun {
  return {
    id: Number(row.id),
    job: row.job,
    tenant: row.tenant,
    rangeFrom: msOrNull(row.range_from_ms),
    rangeTo: msOrNull(row.range_to_ms),
    details: row.details,
    status: row.status,
    attempt: row.attempt,
    runner: row.runner,
    rowsRead: Number(row.rows_read),
    rowsWritten: Number(row.rows_written),
    startedAt: Math.round(Number(row.started_ms)),
    finishedAt: msOrNull(row.finished_ms),
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    error: row.error,
  };
}
