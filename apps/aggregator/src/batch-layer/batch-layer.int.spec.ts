import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import type { Pool } from 'pg';
import { ReadingsRepository } from '../raw-sink/readings.repository';
import { batchLayerMetrics } from './batch-layer.metrics';
import { BatchLayerService, type BatchLayerSettings } from './batch-layer.service';
import { BatchRunsRepository } from './batch-runs.repository';
import { DirtyBucketsRepository } from './dirty-buckets.repository';
import { RollupsRepository, type RollupTable, type StoredRollup } from './rollups.repository';
import {
  dedupeFirstArrival,
  expectedRollups,
  localDayStart,
  rollupKey,
  seededRandom,
  type ExpectedRollup,
  type TestReading,
} from './testing/rollup-expectations';

jest.setTimeout(120_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOUR = 3_600_000;
const ZONE = 'Europe/Paris';
// Paris days 2026-03-28 .. 2026-03-30; the 29th is 23 hours long (DST starts)
const DAY1 = Date.parse('2026-03-27T23:00:00Z');
const END = Date.parse('2026-03-30T22:00:00Z');
const SEED = Number(process.env.ROLLUP_SEED ?? 4242);

export function settings(overrides: Partial<BatchLayerSettings> = {}): BatchLayerSettings {
  return {
    zone: ZONE,
    bufferMs: 5 * 60_000,
    initialLookbackMs: 0,
    maxRunsPerTick: 500,
    dirtyBatchSize: 10_000,
    energy: { method: 'trapezoid', maxGapMs: 15 * 60_000 },
    retry: { baseMs: 1_000, maxMs: 10_000 },
    runner: 'test',
    ...overrides,
  };
}

/** Readings over three local days: irregular times, a silent stretch, duplicates (some with other values), shuffled. */
function dataSet(): TestReading[] {
  const random = seededRandom(SEED);
  const readings: TestReading[] = [];
  for (const device of ['dev-a', 'dev-b', 'dev-c']) {
    for (const metric of ['temperature', 'cpu']) {
      for (
        let time = DAY1 + Math.floor(random() * 60_000);
        time < END;
        time += 1 + Math.floor(random() * 25 * 60_000)
      ) {
        // dev-b is silent from 05:00 to 09:00 UTC on the 29th: those hours must have no rollup
        if (
          device === 'dev-b' &&
          time >= Date.parse('2026-03-29T05:00:00Z') &&
          time < Date.parse('2026-03-29T09:00:00Z')
        )
          continue;
        readings.push({
          tenant: 'acme',
          device,
          metric,
          time,
          value: Math.round((random() * 200 - 50) * 1000) / 1000,
        });
      }
    }
  }
  // exactly on bucket edges
  readings.push({
    tenant: 'acme',
    device: 'dev-a',
    metric: 'cpu',
    time: Date.parse('2026-03-29T00:00:00Z'),
    value: 7,
  });
  readings.push({
    tenant: 'acme',
    device: 'dev-a',
    metric: 'cpu',
    time: DAY1 + 24 * HOUR - 1,
    value: 8,
  });
  const duplicates = readings
    .filter((_, i) => i % 17 === 0)
    .map((r, i) => ({ ...r, value: i % 2 === 0 ? r.value : r.value + 1000 }));
  const all = [...readings, ...duplicates];
  for (let i = all.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

function expectMatches(stored: StoredRollup[], expected: Map<string, ExpectedRollup>): void {
  expect(stored.map(rollupKey).sort()).toEqual([...expected.keys()].sort());
  for (const row of stored) {
    const want = expected.get(rollupKey(row))!;
    expect({
      key: rollupKey(row),
      count: row.stats.count,
      min: row.stats.min,
      max: row.stats.max,
      first: row.stats.first,
      firstTime: row.stats.firstTime,
      last: row.stats.last,
      lastTime: row.stats.lastTime,
    }).toEqual({
      key: rollupKey(want),
      count: want.count,
      min: want.min,
      max: want.max,
      first: want.first,
      firstTime: want.firstTime,
      last: want.last,
      lastTime: want.lastTime,
    });
    expect(row.stats.sum).toBeCloseTo(want.sum, 6);
    expect(row.stats.sumSquares).toBeCloseTo(want.sumSquares, 3);
  }
}

describe('batch layer (real PostgreSQL)', () => {
  const schema = uniqueName('test_batch');
  let pool: Pool;
  let rollups: RollupsRepository;
  let runs: BatchRunsRepository;
  let batch: BatchLayerService;
  let now = END + 2 * HOUR;
  const devices = ['dev-a', 'dev-b', 'dev-c'];

  async function readAll(table: RollupTable): Promise<StoredRollup[]> {
    const out: StoredRollup[] = [];
    for (const metric of ['temperature', 'cpu']) {
      out.push(...(await rollups.read(table, 'acme', devices, metric, 0, END + 48 * HOUR)));
    }
    return out;
  }

  async function runUntilIdle(): Promise<void> {
    for (let i = 0; i < 10; i += 1) {
      const summary = await batch.runDue();
      if (summary.hourly + summary.daily + summary.dirty === 0) return;
    }
    throw new Error('batch layer never went idle');
  }

  const withoutRunInfo = (rows: StoredRollup[]) =>
    rows.map(({ computedAt: _c, runId: _r, ...rest }) => rest);

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
    rollups = new RollupsRepository(pool);
    runs = new BatchRunsRepository(pool);
    batch = new BatchLayerService(
      pool,
      rollups,
      runs,
      new DirtyBucketsRepository(pool),
      settings({ initialLookbackMs: now - DAY1 }),
      batchLayerMetrics(),
      () => now,
    );
  });

  afterAll(async () => {
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  const data = dataSet();
  const truth = () => dedupeFirstArrival(data);

  it('rolls up hours and local days equal to an independent computation; a rerun changes nothing', async () => {
    const readings = new ReadingsRepository(pool);
    for (let i = 0; i < data.length; i += 97) await readings.insertBatch(data.slice(i, i + 97));

    await runUntilIdle();

    const hourly = await readAll('rollups_1h');
    expectMatches(
      hourly,
      expectedRollups(truth(), (ms) => Math.floor(ms / HOUR) * HOUR),
    );
    const daily = await readAll('rollups_1d');
    expectMatches(
      daily,
      expectedRollups(truth(), (ms) => localDayStart(ms, ZONE)),
    );
    // the DST day: its rollup starts at local midnight and spans 23 hours of hourly rows
    expect(daily.some((row) => row.bucket === Date.parse('2026-03-28T23:00:00Z'))).toBe(true);
    // the silent stretch stays a gap
    expect(
      hourly.filter(
        (r) =>
          r.device === 'dev-b' &&
          r.bucket >= Date.parse('2026-03-29T05:00:00Z') &&
          r.bucket < Date.parse('2026-03-29T09:00:00Z'),
      ),
    ).toEqual([]);

    // every hour and day ran exactly once, all succeeded; no dirty mark left behind
    const all = await runs.list({ limit: 1000 });
    const hourlyRuns = all.filter((r) => r.job === 'hourly');
    expect(new Set(hourlyRuns.map((r) => r.rangeFrom)).size).toBe(hourlyRuns.length);
    expect(all.every((r) => r.status === 'succeeded')).toBe(true);
    expect((await pool.query('SELECT count(*)::int AS n FROM dirty_buckets')).rows[0].n).toBe(0);

    // rerun: scheduled ranges again, then a backfill of everything
    const before = { hourly: withoutRunInfo(hourly), daily: withoutRunInfo(daily) };
    await batch.runRange(
      'hourly',
      Date.parse('2026-03-29T10:00:00Z'),
      Date.parse('2026-03-29T11:00:00Z'),
    );
    await batch.runRange(
      'daily',
      Date.parse('2026-03-28T23:00:00Z'),
      Date.parse('2026-03-29T22:00:00Z'),
    );
    const summary = await batch.backfill({ tenant: 'acme', fromMs: DAY1, toMs: END });
    expect(summary.hoursDone).toBe((END - DAY1) / HOUR);
    expect(summary.daysRecomputed).toBe(3);
    expect(withoutRunInfo(await readAll('rollups_1h'))).toEqual(before.hourly);
    expect(withoutRunInfo(await readAll('rollups_1d'))).toEqual(before.daily);
    expect(await batch.hourlyWatermark()).toBe(Math.floor((now - 5 * 60_000) / HOUR) * HOUR);
  });

  it('recomputes hours and days that late readings landed in, equal to a from-scratch computation', async () => {
    const late: TestReading[] = [
      {
        tenant: 'acme',
        device: 'dev-a',
        metric: 'cpu',
        time: Date.parse('2026-03-29T10:17:00.500Z'),
        value: 999,
      },
      {
        tenant: 'acme',
        device: 'dev-b',
        metric: 'cpu',
        time: Date.parse('2026-03-29T06:30:00Z'),
        value: -3,
      }, // fills a gap hour
      { tenant: 'acme', device: 'dev-c', metric: 'temperature', time: DAY1 + 1, value: -100 }, // new first of a day
    ];
    data.push(...late, { ...late[0], value: 5 }); // plus a duplicate of a late one
    await new ReadingsRepository(pool).insertBatch([...late, { ...late[0], value: 5 }]);
    expect((await pool.query('SELECT count(*)::int AS n FROM dirty_buckets')).rows[0].n).toBe(3);

    now += 60_000; // next tick
    await runUntilIdle();

    expectMatches(
      await readAll('rollups_1h'),
      expectedRollups(truth(), (ms) => Math.floor(ms / HOUR) * HOUR),
    );
    expectMatches(
      await readAll('rollups_1d'),
      expectedRollups(truth(), (ms) => localDayStart(ms, ZONE)),
    );
    expect((await pool.query('SELECT count(*)::int AS n FROM dirty_buckets')).rows[0].n).toBe(0);
    const dirtyRuns = await runs.list({ job: 'dirty', limit: 10 });
    expect(dirtyRuns).toHaveLength(1);
    expect(dirtyRuns[0]).toMatchObject({ status: 'succeeded', details: { marks: 3 } });
  });

  it('counts readings the transformer flagged anomalous into the hourly and daily anomalies', async () => {
    const at = (iso: string) => Date.parse(iso);
    const flagged = [
      { time: at('2026-03-29T12:01:00Z'), anomaly: true },
      { time: at('2026-03-29T12:02:00Z'), anomaly: false },
      { time: at('2026-03-29T12:03:00Z'), anomaly: true },
      { time: at('2026-03-29T13:10:00Z') },
      { time: at('2026-03-29T13:20:00Z'), anomaly: true },
    ].map((r, i) => ({ tenant: 'anom', device: 'dev-x', metric: 'temperature', value: i, ...r }));
    await new ReadingsRepository(pool).insertBatch(flagged);

    now += 60_000;
    await runUntilIdle();

    const hourly = await rollups.read('rollups_1h', 'anom', ['dev-x'], 'temperature', 0, END);
    expect(hourly.map((r) => [r.bucket, r.stats.count, r.stats.anomalies])).toEqual([
      [at('2026-03-29T12:00:00Z'), 3, 2],
      [at('2026-03-29T13:00:00Z'), 2, 1],
    ]);
    const daily = await rollups.read('rollups_1d', 'anom', ['dev-x'], 'temperature', 0, END);
    expect(daily.map((r) => [r.stats.count, r.stats.anomalies])).toEqual([[5, 3]]);
  });
});
