import { randomUUID } from 'node:crypto';
import { createPgPool, runMigrations } from '@sluice/db';
import type { Pool } from 'pg';
import { ReadingsRepository, type ReadingRow } from './readings.repository';

// 50k-row bulk inserts take seconds on a loaded 2-core machine
jest.setTimeout(30_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('readings repository (real PostgreSQL)', () => {
  const schema = `test_raw_sink_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let pool: Pool;
  let repository: ReadingsRepository;

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
    repository = new ReadingsRepository(pool);
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE readings');
  });

  const row = (i: number, overrides: Partial<ReadingRow> = {}): ReadingRow => ({
    tenant: 'acme',
    device: `dev-${i % 7}`,
    metric: i % 2 === 0 ? 'temperature' : 'power',
    time: 1_760_000_000_123 + i,
    value: i / 3,
    unit: i % 2 === 0 ? '°C' : undefined,
    ...overrides,
  });

  it('stores times to the millisecond and values exactly', async () => {
    await repository.insertBatch([row(1), row(2, { value: -0.1 + 0.2 })]);
    const { rows } = await pool.query<{ ms: string; value: number; unit: string | null }>(
      `SELECT (extract(epoch FROM time) * 1000)::bigint AS ms, value, unit FROM readings ORDER BY time`,
    );
    expect(rows).toEqual([
      { ms: String(row(1).time), value: 1 / 3, unit: null },
      { ms: String(row(2).time), value: -0.1 + 0.2, unit: '°C' },
    ]);
  });

  it('inserts duplicates once, within a batch and across replays', async () => {
    const batch = [row(1), row(2), row(1, { value: 99 }), row(3)];
    expect(await repository.insertBatch(batch)).toBe(3);
    expect(await repository.insertBatch(batch)).toBe(0);
    expect(await repository.insertBatch([row(3), row(4)])).toBe(1);
    const { rows } = await pool.query<{ count: string; value: number }>(
      `SELECT count(*) OVER () AS count, value FROM readings WHERE device = $1 AND metric = $2`,
      [row(1).device, row(1).metric],
    );
    // The first arrival wins, as the speed layer assumes.
    expect(rows).toEqual([{ count: '1', value: 1 / 3 }]);
    const total = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
    expect(total.rows[0].n).toBe('4');
  });

  it('writes a bulk of 50k rows in one call and drops all of them on replay', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => row(i, { device: `dev-${i % 500}` }));
    expect(await repository.insertBatch(rows)).toBe(50_000);
    expect(await repository.insertBatch(rows)).toBe(0);
    const stats = await pool.query<{ n: string; sum: number }>(
      'SELECT count(*) AS n, sum(value) AS sum FROM readings',
    );
    expect(stats.rows[0].n).toBe('50000');
    expect(stats.rows[0].sum).toBeCloseTo(
      rows.reduce((s, r) => s + r.value, 0),
      3,
    );
  });

  it('rolls the whole batch back when one row is refused by the database', async () => {
    await expect(
      repository.insertBatch([row(1), row(2), row(3, { tenant: null as unknown as string })]),
    ).rejects.toThrow(/readings insertBatch of 3 rows failed/);
    const total = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
    expect(total.rows[0].n).toBe('0');
  });
});
