import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import type { Pool } from 'pg';
import { ReadingsRepository } from '../raw-sink/readings.repository';
import { batchLayerMetrics } from './batch-layer.metrics';
import { BatchLayerService } from './batch-layer.service';
import { BatchRunsRepository } from './batch-runs.repository';
import { DirtyBucketsRepository } from './dirty-buckets.repository';
import { RollupsRepository, type StoredRollup } from './rollups.repository';
import { seededRandom, type TestReading } from './testing/rollup-expectations';

jest.setTimeout(60_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOUR = 3_600_000;
const HOUR_START = Date.parse('2026-05-04T10:00:00Z');
const DEVICES = ['dev-1', 'dev-2', 'dev-3'];

/**
 * The hourly aggregation adds floats in the order rows are stored (no sort, see
 * RollupsRepository.recomputeHours), so every recompute path must read them in that same order:
 * rows are stored shuffled (storage order != time order, so an index-ordered plan would give
 * other sums), then the hour is recomputed unfiltered, for one device (backfill) and for one
 * series (dirty mark), and every stored bit must stay the same.
 */
describe('hourly rollups read rows in one order on every path (real PostgreSQL)', () => {
  const schema = uniqueName('test_rollup_order');
  let pool: Pool;
  let rollups: RollupsRepository;
  let batch: BatchLayerService;
  let now = HOUR_START + 2 * HOUR;
  const random = seededRandom(77);
  const data: TestReading[] = [];
  for (const device of DEVICES) {
    for (let i = 0; i < 600; i += 1) {
      data.push({
        tenant: 'order',
        device,
        metric: 'x',
        time: HOUR_START + i * 6_000 + Math.floor(random() * 5_000),
        value: (random() - 0.3) * 10 ** Math.floor(random() * 8),
      });
    }
  }
  for (let i = data.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [data[i], data[j]] = [data[j], data[i]];
  }

  const stored = async (): Promise<StoredRollup[]> =>
    (await rollups.read('rollups_1h', 'order', DEVICES, 'x', HOUR_START, HOUR_START + HOUR)).map(
      (row) => ({ ...row, computedAt: 0, runId: null }),
    );

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
    // only the batch layer may summarize the BRIN index in this test
    await pool.query('ALTER TABLE readings SET (autovacuum_enabled = false)');
    rollups = new RollupsRepository(pool);
    batch = new BatchLayerService(
      pool,
      rollups,
      new BatchRunsRepository(pool),
      new DirtyBucketsRepository(pool),
      {
        zone: 'UTC',
        bufferMs: 5 * 60_000,
        initialLookbackMs: 0,
        maxRunsPerTick: 100,
        dirtyBatchSize: 100,
        energy: { method: 'trapezoid', maxGapMs: 15 * 60_000 },
        retry: { baseMs: 1_000, maxMs: 1_000 },
        runner: 'test',
      },
      batchLayerMetrics(),
      () => now,
    );
    const readings = new ReadingsRepository(pool);
    for (let i = 0; i < data.length; i += 150) await readings.insertBatch(data.slice(i, i + 150));
  });

  afterAll(async () => {
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  it('stores the same bits whether the hour is recomputed unfiltered, per device or per dirty series', async () => {
    // precondition: for these values the order of the terms changes the float sum
    const inTimeOrder = [...data].sort((a, b) => a.time - b.time);
    const sumOf = (rows: TestReading[], device: string) =>
      rows.filter((r) => r.device === device).reduce((total, r) => total + r.value, 0);
    expect(DEVICES.some((d) => sumOf(data, d) !== sumOf(inTimeOrder, d))).toBe(true);

    await batch.runDue();
    const scheduled = await stored();
    expect(scheduled).toHaveLength(DEVICES.length);
    for (const row of scheduled) {
      const rows = inTimeOrder.filter((r) => r.device === row.device);
      expect(row.stats).toMatchObject({
        count: rows.length,
        first: rows[0].value,
        firstTime: rows[0].time,
        last: rows[rows.length - 1].value,
        lastTime: rows[rows.length - 1].time,
        min: Math.min(...rows.map((r) => r.value)),
        max: Math.max(...rows.map((r) => r.value)),
      });
      expect(row.stats.sum).toBeCloseTo(sumOf(inTimeOrder, row.device), 3);
    }

    await batch.backfill({ tenant: 'order', devices: ['dev-2'], fromMs: HOUR_START, toMs: now });
    expect(await stored()).toEqual(scheduled);

    await pool.query(
      `INSERT INTO dirty_buckets (tenant, device, metric, bucket)
       VALUES ('order', 'dev-3', 'x', to_timestamp($1::float8 / 1000))`,
      [HOUR_START],
    );
    now += 60_000;
    expect((await batch.runDue()).dirty).toBe(1);
    expect(await stored()).toEqual(scheduled);
  });

  it('summarizes new BRIN ranges before an hourly run, and skips that while a vacuum holds readings', async () => {
    const readings = new ReadingsRepository(pool);
    const insertHour = async (hourStart: number) => {
      for (let i = 0; i < 20_000; i += 5_000) {
        await readings.insertBatch(
          Array.from({ length: 5_000 }, (_, j) => ({
            tenant: 'order',
            device: 'dev-4',
            metric: 'x',
            time: hourStart + (i + j) * 100,
            value: i + j,
          })),
        );
      }
    };
    const runHour = async (hourStart: number) => {
      now = hourStart + 2 * HOUR;
      await batch.runRange('hourly', hourStart, hourStart + HOUR);
      const [row] = await rollups.read('rollups_1h', 'order', ['dev-4'], 'x', hourStart, now);
      expect(row.stats).toMatchObject({ count: 20_000, first: 0, last: 19_999 });
    };

    // a vacuum (or another summarization) holds the lock: the run neither waits nor fails
    await insertHour(HOUR_START + 2 * HOUR);
    const vacuum = await pool.connect();
    try {
      await vacuum.query('BEGIN');
      await vacuum.query('LOCK TABLE readings IN SHARE UPDATE EXCLUSIVE MODE');
      const started = Date.now();
      await runHour(HOUR_START + 2 * HOUR);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await vacuum.query('ROLLBACK');
      vacuum.release();
    }
    expect(await unsummarizedRanges()).toBeGreaterThan(0);

    await insertHour(HOUR_START + 3 * HOUR);
    await runHour(HOUR_START + 3 * HOUR);
    expect(await unsummarizedRanges()).toBe(0);
  });

  it('has autovacuum summarize each filled BRIN range (migration 0009)', async () => {
    const { rows } = await pool.query<{ options: string[] }>(
      `SELECT reloptions AS options FROM pg_class WHERE oid = 'readings_time_brin_idx'::regclass`,
    );
    expect(rows[0].options).toContain('autosummarize=on');
  });

  it('reads and deletes one bucket of the rollups through an index on bucket (migration 0010)', async () => {
    const client = await pool.connect();
    try {
      // the test tables are tiny: only a missing index makes the planner fall back to a scan
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      for (const table of ['rollups_1h', 'rollups_1d']) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN DELETE FROM ${table} WHERE bucket >= now() AND bucket < now() + interval '1 hour'`,
        );
        expect(rows.map((row) => row['QUERY PLAN']).join('\n')).toContain(`${table}_bucket_idx`);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  /** Summarizes what is left (so call it only to check): how many ranges were not summarized. */
  async function unsummarizedRanges(): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT brin_summarize_new_values('readings_time_brin_idx') AS n`,
    );
    return rows[0].n;
  }
});
