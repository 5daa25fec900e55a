import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

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
   * Inserts rows in ONE transaction, ignoring rows whose (tenant, device, metric, time) exists:
   * replays and duplicates are dropped by the primary key. Returns how many rows were new.
   */
  async insertBatch(rows: ReadonlyArray<ReadingRow>): Promise<number> {
    if (rows.length === 0) return 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await this.insertWithUnnest(client, rows);
      await client.query('COMMIT');
      return inserted;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ReadingsWriteError('insertBatch', rows.length, error);
    } finally {
      client.release();
    }
  }

  /** Same contract as insertBatch, via COPY into a staging table (kept for the benchmark). */
  async insertBatchCopy(rows: ReadonlyArray<ReadingRow>): Promise<number> {
    if (rows.length === 0) return 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `CREATE TEMP TABLE IF NOT EXISTS readings_staging (
           tenant text, device text, metric text, t bigint, value double precision, unit text
         ) ON COMMIT DELETE ROWS`,
      );
      await pipeline(
        Readable.from(copyLines(rows)),
        client.query(copyFrom('COPY readings_staging FROM STDIN')),
      );
      const result = await client.query(
        `INSERT INTO readings (tenant, device, metric, time, value, unit)
         SELECT tenant, device, metric, to_timestamp(t / 1000.0), value, unit FROM readings_staging
         ON CONFLICT DO NOTHING`,
      );
      await client.query('COMMIT');
      return result.rowCount ?? 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ReadingsWriteError('insertBatchCopy', rows.length, error);
    } finally {
      client.release();
    }
  }

  private async insertWithUnnest(
    client: PoolClient,
    rows: ReadonlyArray<ReadingRow>,
  ): Promise<number> {
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
    const result = await client.query(
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

function* copyLines(rows: ReadonlyArray<ReadingRow>): Generator<string> {
  // Identifiers are validated by the contracts (no tabs, newlines or backslashes); units are free
  // text, so they are escaped for COPY's text format.
  let chunk = '';
  for (const row of rows) {
    const unit = row.unit === undefined ? '\\N' : escapeCopy(row.unit);
    chunk += `${row.tenant}\t${row.device}\t${row.metric}\t${row.time}\t${row.value}\t${unit}\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

function escapeCopy(text: string): string {
  return text.replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c,
  );
}
