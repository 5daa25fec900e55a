import type { Pool } from 'pg';

export interface ReadingRow {
  tenant: string;
  device: string;
  metric: string;
  /** epoch ms */
  time: number;
  value: number;
  unit?: string;
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
    for (const row of rows) {
      tenants.push(row.tenant);
      devices.push(row.device);
      metrics.push(row.metric);
      times.push(row.time);
      values.push(row.value);
      units.push(row.unit ?? null);
    }
    // Times travel as float8 ms: to_timestamp(float8) keeps microseconds, so ms are exact, and
    // float division is several times cheaper than the numeric one `bigint / 1000.0` would be.
    const result = await this.pool.query(
      `INSERT INTO readings (tenant, device, metric, time, value, unit)
       SELECT tenant, device, metric, to_timestamp(t / 1000), value, unit
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[])
           AS r(tenant, device, metric, t, value, unit)
       ON CONFLICT DO NOTHING`,
      [tenants, devices, metrics, times, values, units],
    );
    return result.rowCount ?? 0;
  }
}
