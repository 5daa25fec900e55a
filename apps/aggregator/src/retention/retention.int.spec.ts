import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import type { Pool } from 'pg';
import { BatchRunsRepository } from '../batch-layer/batch-runs.repository';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';

jest.setTimeout(60_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY = 86_400_000;

describe('retention on plain PostgreSQL', () => {
  const schema = uniqueName('test_retention');
  let pool: Pool;
  const now = Date.parse('2026-06-01T00:00:00Z');

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 2 });
  });

  afterAll(async () => {
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  it('deletes rows older than each table keeps, in bounded batches, keeps the rest, and records the run', async () => {
    // readings one per day over 20 days; hourly rollups one per day too
    await pool.query(
      `INSERT INTO readings (tenant, device, metric, time, value)
       SELECT 'acme', 'd', 'm', to_timestamp($1::float8 / 1000) - s * interval '1 day' - interval '1 minute', s
         FROM generate_series(0, 19) s`,
      [now],
    );
    await pool.query(
      `INSERT INTO rollups_1h (tenant, device, metric, bucket, count, sum, min, max, first, first_time, last, last_time, sum_squares)
       SELECT 'acme', 'd', 'm', to_timestamp($1::float8 / 1000) - s * interval '1 day', 1, 0, 0, 0, 0, now(), 0, now(), 0
         FROM generate_series(0, 19) s`,
      [now],
    );
    const retention = new RetentionService(
      new RetentionRepository(pool),
      new BatchRunsRepository(pool),
      { days: { readings: 7, rollups_1h: 14, rollups_1d: 0 }, batchRows: 3, runner: 'test' },
      () => now,
    );

    expect(await retention.deleteExpired()).toEqual({ readings: 13, rollups_1h: 5, rollups_1d: 0 });

    const oldest = await pool.query<{ readings: Date; rollups: Date }>(
      `SELECT (SELECT min(time) FROM readings) AS readings, (SELECT min(bucket) FROM rollups_1h) AS rollups`,
    );
    expect(oldest.rows[0].readings.getTime()).toBeGreaterThanOrEqual(now - 7 * DAY);
    expect(oldest.rows[0].rollups.getTime()).toBeGreaterThanOrEqual(now - 14 * DAY);
    expect((await pool.query('SELECT count(*)::int AS n FROM readings')).rows[0].n).toBe(7);
    const [run] = await new BatchRunsRepository(pool).list({ job: 'retention', limit: 1 });
    expect(run).toMatchObject({ status: 'succeeded', rowsWritten: 18 });

    expect(await retention.deleteExpired()).toEqual({ readings: 0, rollups_1h: 0, rollups_1d: 0 });
  });
});
