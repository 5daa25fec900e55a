import type { Pool } from 'pg';

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

/** The only place SQL on `readings` (migration 0002) is written. */
export class ReadingsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts rows with ONE multi-row statement (one array per column through unnest), i.e. in one
   * implicit transaction without BEGIN/COMMIT round trips: all rows or none. Rows whose (tenant,
   * device, metric, time) exists are dropped by the primary key, so replays are harmless.
   * Returns how many rows were new.
   */
  async insertBatch(rows: ReadonlyArray<ReadingRow>): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      return await this.insertWithUnnest(rows);
    } catch (error) {
      throw new ReadingsWriteError('insertBatch', rows.length, error);
    }
  }

  private async insertWithUnnest(rows: ReadonlyArray<ReadingRow>): Promise<number> {
    const tenants: string[] = [];
    const devices: string[] = [];
    const metrics: string[] = [];
    const times: number[] = [];
    const values: number[] = [];
    const units: Array<string | null> = [];
    const anomalies: Array<boolean | null> = [];
    for (const row of rows) {
      tenants.push(row.tenant);
      devices.push(row.device);
      metrics.push(row.metric);
      times.push(row.time);
      values.push(row.value);
      units.push(row.unit ?? null);
      anomalies.push(row.anomaly === true ? true : null);
    }
    // Times travel as float8 ms: to_timestamp(float8) keeps microseconds, so ms are exact, and
    // float division is several times cheaper than the numeric one `bigint / 1000.0` would be.
    // The same statement marks the hours of new rows that lie before the current hour as dirty
    // for the batch layer (migration 0003): atomic with the insert, so a reading is never stored
    // without its mark, and re-marking bumps the version so a recomputation that read the hour
    // before this reading does not clear the mark. Replays insert nothing and mark nothing.
    const result = await this.pool.query<{ inserted: number }>(
      `WITH inserted AS (
         INSERT INTO readings (tenant, device, metric, time, value, unit, anomaly)
         SELECT tenant, device, metric, to_timestamp(t / 1000), value, unit, anomaly
           FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[],
                       $7::bool[])
             AS r(tenant, device, metric, t, value, unit, anomaly)
         ON CONFLICT DO NOTHING
         RETURNING tenant, device, metric, time
       ), marked AS (
         INSERT INTO dirty_buckets (tenant, device, metric, bucket)
         SELECT DISTINCT tenant, device, metric, date_trunc('hour', time, 'UTC') FROM inserted
          WHERE time < date_trunc('hour', now(), 'UTC')
         ON CONFLICT (tenant, device, metric, bucket)
           DO UPDATE SET version = nextval('dirty_bucket_versions'), marked_at = now()
       )
       SELECT count(*)::int AS inserted FROM inserted`,
      [tenants, devices, metrics, times, values, units, anomalies],
    );
    return result.rows[0].inserted;
  }
}
