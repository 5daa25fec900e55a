import type { Pool, PoolClient } from 'pg';
import type { SeriesKey } from './rollups.repository';

export interface DirtyBucket extends SeriesKey {
  bucket: number;
  version: number;
}

/** SQL on dirty_buckets (migration 0003); the raw sink inserts marks with its readings. */
export class DirtyBucketsRepository {
  constructor(private readonly pool: Pool) {}

  /** Oldest marks of hours in [fromMs, beforeMs), at most `limit`. */
  async due(beforeMs: number, limit: number, fromMs = 0): Promise<DirtyBucket[]> {
    const { rows } = await this.pool.query<{
      tenant: string;
      device: string;
      metric: string;
      bucket_ms: string;
      version: string;
    }>(
      `SELECT tenant, device, metric, extract(epoch FROM bucket) * 1000 AS bucket_ms, version
         FROM dirty_buckets
        WHERE bucket < to_timestamp($1::float8 / 1000) AND bucket >= to_timestamp($3::float8 / 1000)
        ORDER BY bucket LIMIT $2`,
      [beforeMs, limit, fromMs],
    );
    return rows.map((row) => ({
      tenant: row.tenant,
      device: row.device,
      metric: row.metric,
      bucket: Math.round(Number(row.bucket_ms)),
      version: Number(row.version),
    }));
  }

  /**
   * Clears the marks that were recomputed, in the recomputation's transaction. A mark whose
   * version changed meanwhile (a newer late reading) is kept for the next tick.
   */
  async clear(client: PoolClient, marks: ReadonlyArray<DirtyBucket>): Promise<void> {
    if (marks.length === 0) return;
    await client.query(
      `DELETE FROM dirty_buckets d
        USING unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::bigint[])
          AS m(tenant, device, metric, bucket_ms, version)
        WHERE d.tenant = m.tenant AND d.device = m.device AND d.metric = m.metric
          AND d.bucket = to_timestamp(m.bucket_ms / 1000) AND d.version = m.version`,
      [
        marks.map((m) => m.tenant),
        marks.map((m) => m.device),
        marks.map((m) => m.metric),
        marks.map((m) => m.bucket),
        marks.map((m) => m.version),
      ],
    );
  }
}
