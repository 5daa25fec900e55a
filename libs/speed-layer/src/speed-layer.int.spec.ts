import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  acknowledgeClosedWindows,
  applyBatch,
  claimClosedWindows,
  deleteTooLate,
  readLatest,
  readTooLate,
  readWindows,
  windowStartOf,
  type DeviceBatch,
  type SpeedLayerSettings,
  type SpeedReading,
} from './index';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const settings: SpeedLayerSettings = {
  windowMs: 60_000,
  allowedLatenessMs: 5 * 60_000,
  retentionMs: 2 * 60 * 60_000,
};
const T0 = 1_700_000_040_000; // deliberately not window-aligned

interface ExpectedWindow {
  count: number;
  sum: number;
  min: number;
  max: number;
  first: number;
  firstTime: number;
  last: number;
  lastTime: number;
}

/** Independent window computation, in arrival order (ties keep the first arrival). */
function expectedWindows(readings: SpeedReading[]): Map<string, ExpectedWindow> {
  const windows = new Map<string, ExpectedWindow>();
  for (const r of readings) {
    const key = `${r.metric}@${Math.floor(r.time / 60_000) * 60_000}`;
    const w = windows.get(key);
    if (!w) {
      windows.set(key, {
        count: 1,
        sum: r.value,
        min: r.value,
        max: r.value,
        first: r.value,
        firstTime: r.time,
        last: r.value,
        lastTime: r.time,
      });
      continue;
    }
    w.count += 1;
    w.sum += r.value;
    w.min = Math.min(w.min, r.value);
    w.max = Math.max(w.max, r.value);
    if (r.time < w.firstTime) [w.first, w.firstTime] = [r.value, r.time];
    if (r.time > w.lastTime) [w.last, w.lastTime] = [r.value, r.time];
  }
  return windows;
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('speed layer (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let offset = 0;

  const batchOf = (
    device: string,
    readings: SpeedReading[],
    rawOffset = String(offset++),
    rawPartition = 0,
  ): DeviceBatch => ({
    tenant: 'acme',
    device,
    rawPartition,
    rawOffset,
    readings,
    origin: { topic: 'telemetry.clean.v1', partition: 2, offset: rawOffset, key: `acme/${device}` },
  });

  beforeEach(() => {
    prefix = `test:speed:${randomUUID()}:`;
    redis = new Redis(REDIS_URL, { keyPrefix: prefix, lazyConnect: false });
  });

  afterEach(async () => {
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${prefix}*`);
    if (keys.length > 0) await cleaner.unlink(...keys);
    await cleaner.quit();
    await redis.quit();
  });

  it('computes windows equal to an independent computation over shuffled readings', async () => {
    const random = seededRandom(42);
    const devices = ['dev-a', 'dev-b'];
    const metrics = ['temperature', 'power', 'cpu'];
    const all = new Map<string, SpeedReading[]>(devices.map((d) => [d, []]));
    for (const device of devices) {
      for (let i = 0; i < 3_000; i++) {
        all.get(device)!.push({
          metric: metrics[Math.floor(random() * metrics.length)],
          // 20 minutes of data, many readings per window, arbitrary order, some equal times
          time: T0 + Math.floor(random() * 20 * 60_000),
          value: Math.round((random() * 200 - 100) * 1000) / 1000,
        });
      }
    }
    // Applied while the data is fresh: no window is past its lateness yet.
    const now = T0;
    // Devices interleaved the way a consumed Kafka batch has them, each device's records in order.
    const perDevice = devices.map((device) => {
      const readings = all.get(device)!;
      const records: DeviceBatch[] = [];
      for (let i = 0; i < readings.length; i += 250) {
        records.push(batchOf(device, readings.slice(i, i + 250)));
      }
      return records;
    });
    const batches = perDevice[0].flatMap((record, i) => [record, perDevice[1][i]]);
    const outcomes = await applyBatch(redis, batches, settings, now);
    expect(outcomes.every((o) => o.applied && o.readingsTooLate === 0)).toBe(true);

    for (const device of devices) {
      const arrival = batches.filter((b) => b.device === device).flatMap((b) => b.readings);
      const expected = expectedWindows(arrival);
      let seen = 0;
      for (const metric of metrics) {
        const windows = await readWindows(
          redis,
          'acme',
          device,
          metric,
          T0 - 60_000,
          T0 + 21 * 60_000,
        );
        for (const w of windows) {
          const e = expected.get(`${metric}@${w.windowStart}`);
          expect(e).toBeDefined();
          expect(w).toMatchObject({
            tenant: 'acme',
            device,
            metric,
            windowEnd: w.windowStart + 60_000,
            count: e!.count,
            min: e!.min,
            max: e!.max,
            first: e!.first,
            firstTime: e!.firstTime,
            last: e!.last,
            lastTime: e!.lastTime,
            closed: false,
          });
          expect(w.sum).toBeCloseTo(e!.sum, 6);
          seen += 1;
        }
      }
      expect(seen).toBe(expected.size);

      const latest = await readLatest(redis, 'acme', device);
      const expectedLatest = metrics.map((metric) => {
        const ofMetric = arrival.filter((r) => r.metric === metric);
        const maxTime = Math.max(...ofMetric.map((r) => r.time));
        const winner = ofMetric.find((r) => r.time === maxTime)!;
        return { metric, time: winner.time, value: winner.value };
      });
      expect(latest).toEqual(expectedLatest.sort((a, b) => a.metric.localeCompare(b.metric)));
    }
  });

  it('never counts a replayed batch twice, nor an older one', async () => {
    const now = T0 + 60_000;
    const first = batchOf('dev-r', [{ metric: 'power', time: T0, value: 10 }], '100');
    const second = batchOf('dev-r', [{ metric: 'power', time: T0 + 1, value: 20 }], '101');
    expect(await applyBatch(redis, [first, second], settings, now)).toEqual([
      { applied: true, readingsApplied: 1, readingsTooLate: 0 },
      { applied: true, readingsApplied: 1, readingsTooLate: 0 },
    ]);
    const replays = await applyBatch(
      redis,
      [second, first, batchOf('dev-r', [{ metric: 'power', time: T0, value: 99 }], '50')],
      settings,
      now,
    );
    expect(replays.map((o) => o.applied)).toEqual([false, false, false]);
    const [w] = await readWindows(redis, 'acme', 'dev-r', 'power', T0 - 60_000, T0 + 60_000);
    expect(w).toMatchObject({ count: 2, sum: 30, min: 10, max: 20, last: 20 });
  });

  it('fences a record repeated within one call and keeps its newest latest value', async () => {
    const now = T0 + 60_000;
    const newer = batchOf('dev-c', [{ metric: 'power', time: T0 + 5, value: 7 }], '200');
    const older = batchOf('dev-c', [{ metric: 'power', time: T0, value: 3 }], '201');
    const outcomes = await applyBatch(redis, [newer, newer, older, older], settings, now);
    expect(outcomes.map((o) => o.applied)).toEqual([true, false, true, false]);
    const [w] = await readWindows(redis, 'acme', 'dev-c', 'power', T0 - 60_000, T0 + 60_000);
    expect(w).toMatchObject({ count: 2, sum: 10, first: 3, last: 7 });
    expect(await readLatest(redis, 'acme', 'dev-c')).toEqual([
      { metric: 'power', time: T0 + 5, value: 7 },
    ]);
  });

  it('fences each raw partition on its own offsets', async () => {
    const now = T0 + 60_000;
    await applyBatch(
      redis,
      [batchOf('dev-p', [{ metric: 'm', time: T0, value: 1 }], '500', 0)],
      settings,
      now,
    );
    const [onOtherPartition] = await applyBatch(
      redis,
      [batchOf('dev-p', [{ metric: 'm', time: T0, value: 2 }], '7', 1)],
      settings,
      now,
    );
    expect(onOtherPartition.applied).toBe(true);
    const [w] = await readWindows(redis, 'acme', 'dev-p', 'm', T0 - 60_000, T0 + 60_000);
    expect(w.count).toBe(2);
  });

  it('refuses readings for windows past their lateness and queues them for the DLQ', async () => {
    const windowEnd = windowStartOf(T0, 60_000) + 60_000;
    const now = windowEnd + settings.allowedLatenessMs; // the window closed exactly now
    const batch = batchOf('dev-l', [
      { metric: 'temperature', time: T0, value: 21.500000000000004, unit: '°C' },
      { metric: 'temperature', time: now - 1_000, value: 22 },
    ]);
    const [outcome] = await applyBatch(redis, [batch], settings, now);
    expect(outcome).toEqual({ applied: true, readingsApplied: 1, readingsTooLate: 1 });
    expect(await readWindows(redis, 'acme', 'dev-l', 'temperature', T0 - 60_000, now)).toEqual([
      expect.objectContaining({ count: 1, sum: 22 }),
    ]);

    const entries = await readTooLate(redis, 10);
    expect(entries).toEqual([
      expect.objectContaining({
        tenant: 'acme',
        device: 'dev-l',
        rawOffset: batch.rawOffset,
        metric: 'temperature',
        windowStart: windowStartOf(T0, 60_000),
        origin: batch.origin,
        readings: [{ metric: 'temperature', time: T0, value: 21.500000000000004, unit: '°C' }],
      }),
    ]);
    await deleteTooLate(
      redis,
      entries.map((e) => e.id),
    );
    expect(await readTooLate(redis, 10)).toEqual([]);
    // The latest value still moves forward even though one reading was too late.
    expect(await readLatest(redis, 'acme', 'dev-l')).toEqual([
      { metric: 'temperature', time: now - 1_000, value: 22 },
    ]);
  });

  it('keeps the newest latest value when an older reading arrives afterwards', async () => {
    const now = T0 + 60_000;
    await applyBatch(
      redis,
      [batchOf('dev-o', [{ metric: 'hum', time: T0 + 10, value: 0.1 }])],
      settings,
      now,
    );
    await applyBatch(
      redis,
      [batchOf('dev-o', [{ metric: 'hum', time: T0, value: 0.3 }])],
      settings,
      now,
    );
    expect(await readLatest(redis, 'acme', 'dev-o')).toEqual([
      { metric: 'hum', time: T0 + 10, value: 0.1 },
    ]);
  });

  it('closes due windows once, republishes after a crash, and refuses readings for them', async () => {
    const start = windowStartOf(T0, 60_000);
    await applyBatch(
      redis,
      [
        batchOf('dev-c', [
          { metric: 'm', time: start + 5, value: 3 },
          { metric: 'm', time: start + 1, value: 1 },
          { metric: 'm', time: start + 60_000, value: 7 }, // next window, not due yet
        ]),
      ],
      settings,
      start + 60_000,
    );
    const claimOptions = {
      allowedLatenessMs: settings.allowedLatenessMs,
      graceMs: 1_000,
      leaseMs: 30_000,
      limit: 100,
    };
    const dueAt = start + 60_000 + settings.allowedLatenessMs + 1_000;
    expect(await claimClosedWindows(redis, { ...claimOptions, nowMs: dueAt - 1 })).toEqual([]);

    const claimed = await claimClosedWindows(redis, { ...claimOptions, nowMs: dueAt });
    expect(claimed.map((c) => c.aggregate)).toEqual([
      {
        tenant: 'acme',
        device: 'dev-c',
        metric: 'm',
        windowStart: start,
        windowEnd: start + 60_000,
        count: 2,
        sum: 4,
        min: 1,
        max: 3,
        first: 1,
        firstTime: start + 1,
        last: 3,
        lastTime: start + 5,
      },
    ]);
    // Leased: another closer does not see it again until the lease ends.
    expect(await claimClosedWindows(redis, { ...claimOptions, nowMs: dueAt + 29_999 })).toEqual([]);
    // Closed: a reading still inside the lateness by this applier's clock is refused.
    const [late] = await applyBatch(
      redis,
      [batchOf('dev-c', [{ metric: 'm', time: start + 9, value: 100 }])],
      settings,
      dueAt - 2_000,
    );
    expect(late.readingsTooLate).toBe(1);

    // No acknowledgement (a crash after publishing): offered again, identical, after the lease.
    const again = await claimClosedWindows(redis, { ...claimOptions, nowMs: dueAt + 30_000 });
    expect(again).toEqual(claimed);
    await acknowledgeClosedWindows(
      redis,
      again.map((c) => c.member),
    );
    expect(await claimClosedWindows(redis, { ...claimOptions, nowMs: dueAt + 120_000 })).toEqual([
      expect.objectContaining({
        aggregate: expect.objectContaining({ windowStart: start + 60_000 }),
      }),
    ]);
    const [closedWindow] = await readWindows(redis, 'acme', 'dev-c', 'm', start, start + 1);
    expect(closedWindow).toMatchObject({ closed: true, count: 2 });
  });

  it('reads only windows starting inside [from, to)', async () => {
    const start = windowStartOf(T0, 60_000);
    await applyBatch(
      redis,
      [
        batchOf(
          'dev-w',
          [0, 1, 2].map((i) => ({ metric: 'm', time: start + i * 60_000, value: i })),
        ),
      ],
      settings,
      start + 180_000,
    );
    const windows = await readWindows(redis, 'acme', 'dev-w', 'm', start + 1, start + 120_001);
    expect(windows.map((w) => w.windowStart)).toEqual([start + 60_000, start + 120_000]);
  });

  it('refuses settings that would expire windows before they close', async () => {
    await expect(
      applyBatch(redis, [batchOf('dev-x', [{ metric: 'm', time: T0, value: 1 }])], {
        ...settings,
        retentionMs: settings.allowedLatenessMs,
      }),
    ).rejects.toThrow(/retentionMs/);
  });
});
