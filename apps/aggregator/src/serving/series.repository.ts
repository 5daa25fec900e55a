import type { BucketStats } from '@sluice/rollups';
import type { Pool } from 'pg';

export interface RawPoint {
  device: string;
  time: number;
  value: number;
}

export interface MinuteAggregate {
  device: string;
  start: number;
  stats: BucketStats;
}

/** Serving-side reads of `readings` (raw points, on-demand minute aggregates). */
export class SeriesRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * One page of raw readings ordered by (device, time), after the keyset `after` (exclusive):
   * pages cost the same however deep into the range they are.
   */
  async rawPage(
    tenant: string,
    devices: ReadonlyArray<string>,
    metric: string,
    fromMs: number,
    toMs: number,
    limit: number,
    after?: { device: string; time: number },
  ): Promise<RawPoint[]> {
    const { rows } = await this.pool.query<{ device: string; t: number; value: number }>(
      `SELECT device, extract(epoch FROM time) * 1000 AS t, value FROM readings
        WHERE tenant = $1 AND device = ANY($2::text[]) AND metric = $3
          AND time >= to_timestamp($4::float8 / 1000) AND time < to_timestamp($5::float8 / 1000)
          AND ($7::text IS NULL OR (device, time) > ($7::text, to_timestamp($8::float8 / 1000)))
        ORDER BY device, time LIMIT $6`,
      [tenant, devices, metric, fromMs, toMs, limit, after?.device ?? null, after?.time ?? 0],
    );
    return rows.map((row) => ({
      device: row.device,
      time: Math.round(Number(row.t)),
      value: row.value,
    }));
  }

  /** Minute aggregates computed from readings (there is no 1-minute rollup table). */
  async minutes(
    tenant: string,
    devices: ReadonlyArray<string>,
    metric: string,
    fromMs: number,
    toMs: number,
  ): Promise<MinuteAggregate[]> {
    const { rows } = await this.pool.query<{
      device: string;
      start_ms: number;
      count: string;
      sum: number;
      min: number;
      max: number;
      first: number;
      first_ms: number;
      last: number;
      last_ms: number;
      sum_squares: number;
    }>(
      `SELECT device, extract(epoch FROM date_trunc('minute', time)) * 1000 AS start_ms,
              count(*) AS count, sum(value ORDER BY time) AS sum, min(value) AS min, max(value) AS max,
              (array_agg(value ORDER BY time))[1] AS first, extract(epoch FROM min(time)) * 1000 AS first_ms,
              (array_agg(value ORDER BY time DESC))[1] AS last, extract(epoch FROM max(time)) * 1000 AS last_ms,
              sum(value * value ORDER BY time) AS sum_squares
         FROM readings
        WHERE tenant = $1 AND device = ANY($2::text[]) AND metric = $3
          AND time >= to_timestamp($4::float8 / 1000) AND time < to_timestamp($5::float8 / 1000)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [tenant, devices, metric, fromMs, toMs],
    );
    return rows.map((row) => ({
      device: row.device,
      start: Math.round(Number(row.start_ms)),
      stats: {
        count: Number(row.count),
        sum: row.sum,
        min: row.min,
        max: row.max,
        first: row.first,
        firstTime: Math.round(Number(row.first_ms)),
        last: row.last,
        lastTime: Math.round(Number(row.last_ms)),
        sumSquares: row.sum_squares,
        anomalies: 0,
      },
    }));
  }

  /** Aggregation rules for a tenant's metric (tenant rule and `*` rule). */
  async rules(
    tenant: string,
    metric: string,
  ): Promise<Array<{ tenant: string; metric: string; kind: string; headline: string | null }>> {
    const { rows } = await this.pool.query<{
      tenant: string;
      metric: string;
      kind: string;
      headline: string | null;
    }>(
      `SELECT tenant, metric, kind, headline FROM aggregation_rules
        WHERE metric = $2 AND tenant IN ($1, '*')`,
      [tenant, metric],
    );
    return rows;
  }
}
