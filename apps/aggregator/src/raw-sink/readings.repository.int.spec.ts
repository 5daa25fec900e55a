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
  });

  afterAll(async () => {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE readings, dirty_buckets');
    // A fresh one per test: after a batch with duplicates the repository changes statements.
    repository = new ReadingsRepository(pool);
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

  it('marks the hours of new rows before the current hour dirty, and nothing on replay', async () => {
    const hour = (iso: string) => Date.parse(iso);
    const at = (i: number, device: string, time: number) => row(i, { device, metric: 'cpu', time });
    const late = [
      at(1, 'a', hour('2026-03-29T10:05:00Z')),
      at(2, 'a', hour('2026-03-29T10:55:00Z')),
      at(3, 'b', hour('2026-03-29T11:00:00Z')),
    ];
    // An hour ahead: never before the current hour, whatever the clock does during the test.
    const live = at(4, 'a', Date.now() + 3_600_000);
    const marks = () =>
      pool
        .query<{ device: string; bucket: Date; version: string }>(
          'SELECT device, bucket, version FROM dirty_buckets ORDER BY device, bucket',
        )
        .then((result) => result.rows);

    expect(await repository.insertBatch([...late, live])).toBe(4);
    const first = await marks();
    expect(first.map((mark) => [mark.device, mark.bucket.toISOString()])).toEqual([
      ['a', '2026-03-29T10:00:00.000Z'],
      ['b', '2026-03-29T11:00:00.000Z'],
    ]);

    expect(await repository.insertBatch([...late, live])).toBe(0);
    expect(await marks()).toEqual(first);

    // A new late reading re-marks its hour with a newer version, a replayed one does not.
    const newer = at(5, 'b', hour('2026-03-29T11:30:00Z'));
    expect(await repository.insertBatch([late[0], newer])).toBe(1);
    const second = await marks();
    expect(second[0]).toEqual(first[0]);
    expect(Number(second[1].version)).toBeGreaterThan(Number(first[1].version));

    // All new again (the first through the duplicate-dropping statement, which ends its use, the
    // second through the plain INSERT): both marked.
    const later = at(6, 'c', hour('2026-03-29T12:00:00Z'));
    const latest = at(7, 'd', hour('2026-03-29T13:00:00Z'));
    expect(await repository.insertBatch([later])).toBe(1);
    expect(await repository.insertBatch([latest, { ...live, device: 'd' }])).toBe(2);
    expect((await marks()).map((mark) => mark.device)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rolls the whole batch back when one row is refused by the database', async () => {
    await expect(
      repository.insertBatch([row(1), row(2), row(3, { tenant: null as unknown as string })]),
    ).rejects.toThrow(/readings insertBatch of 3 rows failed/);
    const total = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
    expect(total.rows[0].n).toBe('0');
  });
});
