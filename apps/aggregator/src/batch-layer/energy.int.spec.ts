import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { ReadingsRepository } from '../raw-sink/readings.repository';
import { SeriesRepository } from '../serving/series.repository';
import { ServingService } from '../serving/serving.service';
import { batchLayerMetrics } from './batch-layer.metrics';
import { BatchLayerService } from './batch-layer.service';
import { BatchRunsRepository } from './batch-runs.repository';
import { DirtyBucketsRepository } from './dirty-buckets.repository';
import { RollupsRepository } from './rollups.repository';

jest.setTimeout(120_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const DAY = Date.parse('2026-05-04T00:00:00Z'); // a Monday
const at = (hhmmss: string) => Date.parse(`2026-05-04T${hhmmss}Z`);

/**
 * Acceptance 6 (issue 4): a power series with a known integral — irregular intervals, a segment
 * crossing the hour, gaps longer than ENERGY_MAX_GAP_MS (15 min) — gives the expected Wh and cost
 * (time-of-use tariff) per hour and per day, and the energy API compares with last week.
 */
describe('energy and cost of power series (real PostgreSQL)', () => {
  const schema = uniqueName('test_energy');
  let pool: Pool;
  let serving: ServingService;
  let redis: Redis;

  // time → watts; the expected energy of each segment is worked out by hand next to it
  const series: Array<[string, number]> = [
    ['00:00:00', 1000],
    ['00:10:00', 1000], // 10 min at 1000 W = 166.667 Wh (hour 0)
    ['00:15:00', 2200], // 5 min at 1600 W avg = 133.333 Wh
    ['00:55:00', 2200], // 40 min gap > 15 min: not integrated
    ['01:05:00', 1200], // 1700 W at 01:00: 5 min at 1950 = 162.5 Wh (hour 0) + 5 min at 1450 = 120.833 Wh (hour 1)
    ['01:06:30', 0], // 1.5 min at 600 W = 15 Wh
    ['01:20:00', 0], // 13.5 min at 0 W
    ['04:00:00', 3000], // silent for hours: nothing
    ['04:15:00', 3000], // exactly the max gap: 15 min at 3000 W = 750 Wh (hour 4)
  ];
  const expectedWh = { 0: 462.5, 1: 135.833_333, 4: 750 } as const;
  // 00:00-02:00 at 0.10 per kWh, otherwise 0.30
  const expectedCost = { 0: 0.046_25, 1: 0.013_583_333, 4: 0.225 } as const;

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
    await pool.query(`INSERT INTO tariffs (tenant, tariff) VALUES ('acme', $1)`, [
      {
        kind: 'time-of-use',
        currency: 'EUR',
        zone: 'UTC',
        defaultPricePerKwh: 0.3,
        periods: [{ fromHour: 0, toHour: 2, pricePerKwh: 0.1 }],
      },
    ]);
    const readings = new ReadingsRepository(pool);
    const rows = series.map(([time, watts]) => ({ time: at(time), watts }));
    await readings.insertBatch([
      ...rows.map(({ time, watts }) => ({
        tenant: 'acme',
        device: 'heater',
        metric: 'power',
        time,
        value: watts,
        unit: 'W',
      })),
      // the same hours last week, at twice the power
      ...rows.map(({ time, watts }) => ({
        tenant: 'acme',
        device: 'heater',
        metric: 'power',
        time: time - WEEK,
        value: 2 * watts,
        unit: 'W',
      })),
      // not a power series: no energy
      {
        tenant: 'acme',
        device: 'heater',
        metric: 'temperature',
        time: at('00:30:00'),
        value: 20,
        unit: '°C',
      },
    ]);
    const rollups = new RollupsRepository(pool);
    const now = DAY + 25 * HOUR;
    const batch = new BatchLayerService(
      pool,
      rollups,
      new BatchRunsRepository(pool),
      new DirtyBucketsRepository(pool),
      {
        zone: 'UTC',
        bufferMs: 0,
        initialLookbackMs: now - (DAY - WEEK),
        maxRunsPerTick: 1000,
        dirtyBatchSize: 1000,
        energy: { method: 'trapezoid', maxGapMs: 15 * 60_000 },
        retry: { baseMs: 1000, maxMs: 1000 },
        runner: 'test',
      },
      batchLayerMetrics(),
      () => now,
    );
    while ((await batch.runDue()).hourly > 0);
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    serving = new ServingService(batch, rollups, new SeriesRepository(pool), redis, {
      zone: 'UTC',
      speedWindowMs: 60_000,
      maxDevices: 10,
      maxPoints: 10_000,
    });
  });

  afterAll(async () => {
    redis?.disconnect();
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  it('integrates Wh per hour over irregular intervals, splitting at the hour and skipping gaps, priced per hour', async () => {
    const { rows, currency } = await serving.energy({
      tenant: 'acme',
      devices: ['heater'],
      fromMs: DAY,
      toMs: DAY + 24 * HOUR,
      resolution: '1h',
      baselineOffsetMs: WEEK,
    });
    expect(currency).toBe('EUR');
    expect(rows.map((row) => [(row.start - DAY) / HOUR, row.metric])).toEqual([
      [0, 'power'],
      [1, 'power'],
      [4, 'power'],
    ]);
    for (const row of rows) {
      const hour = ((row.start - DAY) / HOUR) as 0 | 1 | 4;
      expect(row.wattHours).toBeCloseTo(expectedWh[hour], 3);
      expect(row.cost).toBeCloseTo(expectedCost[hour], 6);
      expect(row.baselineWattHours).toBeCloseTo(2 * expectedWh[hour], 3);
      expect(row.baselineCost).toBeCloseTo(2 * expectedCost[hour], 6);
    }
  });

  it('adds the hours up per day', async () => {
    const { rows } = await serving.energy({
      tenant: 'acme',
      devices: ['heater'],
      fromMs: DAY,
      toMs: DAY + 24 * HOUR,
      resolution: '1d',
      baselineOffsetMs: WEEK,
    });
    expect(rows).toHaveLength(1);
    expect(rows[0].start).toBe(DAY);
    expect(rows[0].wattHours).toBeCloseTo(462.5 + 135.833_333 + 750, 3);
    expect(rows[0].cost).toBeCloseTo(0.046_25 + 0.013_583_333 + 0.225, 6);
    expect(rows[0].baselineWattHours).toBeCloseTo(2 * (462.5 + 135.833_333 + 750), 3);
  });
});
