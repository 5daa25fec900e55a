import { DatabaseError, type Pool } from 'pg';

export interface ReadingRow {
  tenant: string;
  device: string;
  metric: string;
  /** epoch ms */
  time: number;
  value: number;
  unit?: string;
  /** An anomaly detector fired on this reading (counted into the rollups' anomalies). */
  anomaly?: boolean;
}

/** A bulk write to `readings` failed; names the operation and the size of the batch. */
export class ReadingsWriteError extends Error {
  constructor(operation: string, rows: number, cause: unknown) {
    super(
      `readings ${operation} of ${rows} rows failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'ReadingsWriteError';
  }
}

/** SQLSTATE unique_violation: a row's (tenant, device, metric, time) is stored already. */
const UNIQUE_VIOLATION = '23505';

// Both statements take one array per column ($1-$7). unnest in the select list streams the rows
// (in FROM, a function scan would first copy them all into a tuplestore); the arrays have equal
// lengths, so the unnests advance together. Times travel as float8 ms: to_timestamp(float8) keeps
// microseconds, so ms are exact, and float division is several times cheaper than the numeric one
// `bigint / 1000.0` would be. Both mark the hours of new rows that lie before the current hour (by
// PostgreSQL's clock) as dirty for the batch layer (migration 0003): atomic with the insert, so a
// reading is never stored without its mark, and re-marking bumps the version so a recomputation
// that read the hour before this reading does not clear the mark.
const ROWS_FROM_ARRAYS = `SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::text[]),
              to_timestamp(unnest($4::float8[]) / 1000), unnest($5::float8[]), unnest($6::text[]),
              unnest($7::bool[])`;
const ON_MARK_CONFLICT = `ON CONFLICT (tenant, device, metric, bucket)
           DO UPDATE SET version = nextval('dirty_bucket_versions'), marked_at = now()`;

/**
 * Fails as a whole (unique_violation, nothing stored) if any row is stored already, so when it
 * succeeds every input row is new and the marks come from the input. $8, the batch's earliest
 * time, gates the marking in a one-time filter: a batch of the current hour, the live stream's
 * case, pays nothing per row for it.
 */
const INSERT_ALL_NEW = {
  name: 'readings-insert-all-new',
  text: `WITH marked AS (
         INSERT INTO dirty_buckets (tenant, device, metric, bucket)
         SELECT DISTINCT tenant, device, metric, date_trunc('hour', to_timestamp(t / 1000), 'UTC')
           FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS r(tenant, device, metric, t)
          WHERE to_timestamp($8::float8 / 1000) < date_trunc('hour', now(), 'UTC')
            AND to_timestamp(t / 1000) < date_trunc('hour', now(), 'UTC')
         ${ON_MARK_CONFLICT}
       )
       INSERT INTO readings (tenant, device, metric, time, value, unit, anomaly)
       ${ROWS_FROM_ARRAYS}`,
};

/** Drops rows stored already (replays are harmless) and marks the hours of the new ones only. */
const INSERT_SKIPPING_DUPLICATES = {
  name: 'readings-insert-skipping-duplicates',
  text: `WITH inserted AS (
         INSERT INTO readings (tenant, device, metric, time, value, unit, anomaly)
         ${ROWS_FROM_ARRAYS}
         ON CONFLICT DO NOTHING
         RETURNING tenant, device, metric, time
       ), marked AS (
         INSERT INTO dirty_buckets (tenant, device, metric, bucket)
         SELECT DISTINCT tenant, device, metric, date_trunc('hour', time, 'UTC') FROM inserted
          WHERE time < date_trunc('hour', now(), 'UTC')
         ${ON_MARK_CONFLICT}
       )
       SELECT count(*)::int AS inserted FROM inserted`,
};

/** The only place SQL on `readings` (migration 0002) is written. */
export class ReadingsRepository {
  /**
   * The last batch held rows stored already (a replay after a restart or a rebalance, a re-sent
   * reading): the next ones go straight to the duplicate-dropping statement, until one is all new.
   */
  private duplicatesExpected = false;

  constructor(private readonly pool: Pool) {}

  /**
   * Inserts rows with ONE multi-row statement, i.e. in one implicit transaction without
   * BEGIN/COMMIT round trips: all rows or none. Rows whose (tenant, device, metric, time) exists
   * are dropped by the primary key, so replays are harmless. Returns how many rows were new.
   *
   * ON CONFLICT DO NOTHING makes PostgreSQL insert each row speculatively (a probe of the primary
   * key before the insert, then a confirmation WAL record after it); with the RETURNING its marks
   * need, it cost 2.4 times the backend CPU per row of a plain INSERT that marks from its input
   * (apps/aggregator/bench/raw-sink.bench.ts). Nearly every batch is all new, so a plain INSERT is
   * tried first; a batch it refuses, because one of its rows is stored already, is written again
   * with ON CONFLICT DO NOTHING (the rows the refused attempt wrote before the duplicate are dead
   * tuples for vacuum: at most one batch's worth per replay). Both are named, i.e. prepared once per
   * connection and then planned generically: planned per batch with its arrays as constants, the
   * planner copied those arrays around for ~10% of the statement's CPU.
   */
  async insertBatch(rows: ReadonlyArray<ReadingRow>): Promise<number> {
    if (rows.length === 0) return 0;
    const columns = toColumns(rows);
    try {
      if (!this.duplicatesExpected) {
        const inserted = await this.insertAllNew(columns);
        if (inserted !== undefined) return inserted;
        this.duplicatesExpected = true;
      }
      const inserted = await this.insertSkippingDuplicates(columns);
      this.duplicatesExpected = inserted < rows.length;
      return inserted;
    } catch (error) {
      throw new ReadingsWriteError('insertBatch', rows.length, error);
    }
  }

  /** Rows inserted (all of them), or undefined when one was stored already and none was. */
  private async insertAllNew(columns: ReadingColumns): Promise<number | undefined> {
    try {
      const result = await this.pool.query({
        ...INSERT_ALL_NEW,
        values: [...columns.arrays, columns.earliestTime],
      });
      return result.rowCount ?? 0;
    } catch (error) {
      if (error instanceof DatabaseError && error.code === UNIQUE_VIOLATION) return undefined;
      throw error;
    }
  }

  private async insertSkippingDuplicates(columns: ReadingColumns): Promise<number> {
    const result = await this.pool.query<{ inserted: number }>({
      ...INSERT_SKIPPING_DUPLICATES,
      values: columns.arrays,
    });
    return result.rows[0].inserted;
  }
}

interface ReadingColumns {
  /** tenants, devices, metrics, times (epoch ms), values, units, anomalies: $1-$7. */
  arrays: unknown[];
  earliestTime: number;
}

function toColumns(rows: ReadonlyArray<ReadingRow>): ReadingColumns {
  const tenants: string[] = [];
  const devices: string[] = [];
  const metrics: string[] = [];
  const times: number[] = [];
  const values: number[] = [];
  const units: Array<string | null> = [];
  const anomalies: Array<boolean | null> = [];
  let earliestTime = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    tenants.push(row.tenant);
    devices.push(row.device);
    metrics.push(row.metric);
    times.push(row.time);
    values.push(row.value);
    units.push(row.unit ?? null);
    anomalies.push(row.anomaly === true ? true : null);
    if (row.time < earliestTime) earliestTime = row.time;
  }
  return {
    arrays: [tenants, devices, metrics, times, values, units, anomalies],
    earliestTime,
  };
}
