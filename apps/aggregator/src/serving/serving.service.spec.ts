import type { Redis } from 'ioredis';
import type { StoredRollup } from '../batch-layer/rollups.repository';
import type { SeriesRepository } from './series.repository';
import { ServingRequestError } from './serving.errors';
import { ServingService, type SeriesPageResult, type SeriesQuery } from './serving.service';

const HOUR = 3_600_000;
const DAY1 = Date.parse('2026-05-01T00:00:00Z');

function rollup(bucket: number, value: number): StoredRollup {
  return {
    tenant: 'acme',
    device: 'd1',
    metric: 'temperature',
    bucket,
    stats: {
      count: 2,
      sum: 2 * value,
      min: value - 1,
      max: value + 1,
      first: value - 1,
      firstTime: bucket,
      last: value + 1,
      lastTime: bucket + 1,
      sumSquares: (value - 1) ** 2 + (value + 1) ** 2,
      anomalies: 0,
    },
    unit: null,
    wattHours: null,
    cost: null,
    computedAt: 0,
    runId: 1,
  };
}

/** Unit tests of the serving merge with stubbed stores (no server). */
describe('serving service', () => {
  // day 1 rolled up daily; day 2 only as hours 00-05 (the daily watermark lags the hourly one)
  const daily = [rollup(DAY1, 10)];
  const hourly = [0, 1, 2, 3, 4, 5].map((h) => rollup(DAY1 + 24 * HOUR + h * HOUR, 20 + h));
  const reads: Array<[string, number, number]> = [];
  const service = new ServingService(
    { hourlyWatermark: async () => DAY1 + 30 * HOUR, dailyWatermark: async () => DAY1 + 24 * HOUR },
    {
      read: async (table, _tenant, _devices, _metric, from, to) => {
        reads.push([table, from, to]);
        return (table === 'rollups_1d' ? daily : hourly).filter(
          (r) => r.bucket >= from && r.bucket < to,
        );
      },
      tariffs: async () => new Map(),
    },
    { rules: async () => [] } as unknown as SeriesRepository,
    {} as Redis,
    { zone: 'UTC', speedWindowMs: 60_000, maxDevices: 3, maxPoints: 1_000 },
    () => DAY1 + 30 * HOUR + 60_000,
  );
  const query = (overrides: Partial<SeriesQuery>): SeriesQuery => ({
    tenant: 'acme',
    devices: ['d1'],
    metric: 'temperature',
    fromMs: DAY1,
    toMs: DAY1 + 30 * HOUR,
    resolution: '1d',
    includeGaps: true,
    pageSize: 100,
    ...overrides,
  });
  const collect = async (q: SeriesQuery): Promise<SeriesPageResult[]> => {
    const pages: SeriesPageResult[] = [];
    for await (const page of service.querySeries(q)) pages.push(page);
    return pages;
  };

  it('serves complete days from daily rollups and the current day from its hourly rollups', async () => {
    const [page] = await collect(query({}));
    expect(reads).toEqual([
      ['rollups_1d', DAY1, DAY1 + 24 * HOUR],
      ['rollups_1h', DAY1 + 24 * HOUR, DAY1 + 30 * HOUR],
    ]);
    expect(page.headline).toBe('max');
    expect(page.points.map((p) => [p.start, p.layer, p.stats?.count, p.value])).toEqual([
      [DAY1, 'batch', 2, 11],
      [DAY1 + 24 * HOUR, 'batch', 12, 26],
    ]);
  });

  it('pages long series and reports buckets without data as gaps', async () => {
    const pages = await collect(query({ resolution: '1h', fromMs: DAY1 + 22 * HOUR, pageSize: 3 }));
    expect(pages.map((p) => p.points.length)).toEqual([3, 3, 2]);
    const layers = pages.flatMap((p) => p.points.map((point) => point.layer));
    expect(layers).toEqual(['gap', 'gap', 'batch', 'batch', 'batch', 'batch', 'batch', 'batch']);
  });

  it('refuses a reversed range, too many devices and too many buckets, naming the parameter', async () => {
    const refusal = async (q: SeriesQuery) =>
      collect(q).then(
        () => undefined,
        (error: unknown) => error as ServingRequestError,
      );
    expect((await refusal(query({ fromMs: DAY1 + HOUR, toMs: DAY1 })))?.issues[0].path).toBe('to');
    expect((await refusal(query({ devices: ['a', 'b', 'c', 'd'] })))?.issues[0].path).toBe(
      'devices',
    );
    expect(
      (await refusal(query({ resolution: '1m', toMs: DAY1 + 2 * 24 * HOUR })))?.issues[0].path,
    ).toBe('resolution');
  });
});
