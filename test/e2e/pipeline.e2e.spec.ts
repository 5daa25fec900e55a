import Redis from 'ioredis';
import WebSocket from 'ws';
import { readLatest, readWindows, SpeedLayerKeys } from '@sluice/speed-layer';
import { waitFor } from '@sluice/testing';
import { E2E_TENANT, E2eEnvironment, E2E_API_KEY } from '../support/e2e-environment';
import {
  chunk,
  expectedLatest,
  expectedWindows,
  generateReadings,
  seriesKey,
  type PostedReading,
} from '../support/reading-fixtures';

const WINDOW_MS = 60_000;
/** A device whose replay fence an earlier broker's raw topic left in Redis, far above new offsets. */
const STALE_FENCED_DEVICE = 'fenced-by-an-earlier-broker';

// Starts a whole pipeline and restarts services: minutes, not the default 5 s.
jest.setTimeout(300_000);

async function countRows(env: E2eEnvironment, devicePrefix: string): Promise<number> {
  const { rows } = await env.pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM readings WHERE tenant = $1 AND device LIKE $2',
    [E2E_TENANT, `${devicePrefix}%`],
  );
  return Number(rows[0].n);
}

async function postAll(env: E2eEnvironment, readings: PostedReading[]): Promise<void> {
  for (const batch of chunk(readings, 1000)) {
    const response = await env.postReadings(batch);
    expect(response.status).toBe(202);
  }
}

/** Compares every speed-layer window of every series with the independently computed one. */
async function expectWindowsMatch(env: E2eEnvironment, readings: PostedReading[]): Promise<void> {
  const expected = expectedWindows(readings, WINDOW_MS);
  const from = Math.min(...readings.map((r) => r.time));
  const to = Math.max(...readings.map((r) => r.time)) + 1;
  for (const [key, windows] of expected) {
    const [device, metric] = key.split('|');
    const actual = await readWindows(
      env.redis,
      E2E_TENANT,
      device,
      metric,
      from - WINDOW_MS,
      to + WINDOW_MS,
    );
    expect(actual.map((w) => w.windowStart)).toEqual([...windows.keys()].sort((a, b) => a - b));
    for (const window of actual) {
      const want = windows.get(window.windowStart)!;
      expect({
        key,
        start: window.windowStart,
        count: window.count,
        min: window.min,
        max: window.max,
      }).toEqual({
        key,
        start: window.windowStart,
        count: want.count,
        min: want.min,
        max: want.max,
      });
      expect(window.sum).toBeCloseTo(want.sum, 6);
    }
  }
}

async function windowCountTotal(env: E2eEnvironment, readings: PostedReading[]): Promise<number> {
  const from = Math.min(...readings.map((r) => r.time)) - WINDOW_MS;
  const to = Math.max(...readings.map((r) => r.time)) + WINDOW_MS;
  let total = 0;
  for (const key of expectedWindows(readings, WINDOW_MS).keys()) {
    const [device, metric] = key.split('|');
    for (const window of await readWindows(env.redis, E2E_TENANT, device, metric, from, to))
      total += window.count;
  }
  return total;
}

describe('the pipeline end to end (gateway → transformer → aggregator → PostgreSQL, Redis, WebSocket)', () => {
  const env = new E2eEnvironment();

  beforeAll(async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    await redis.hset(
      `${env.redisPrefix}${SpeedLayerKeys.fence(E2E_TENANT, STALE_FENCED_DEVICE)}`,
      Object.fromEntries([0, 1, 2, 3, 4, 5].map((partition) => [String(partition), '1000000'])),
    );
    redis.disconnect();
    await env.start();
  });

  afterAll(async () => {
    await env.stop();
  });

  it('applies the readings of a device whose replay fence an earlier raw topic left behind (the launcher clears it)', async () => {
    const time = Date.now();
    const response = await env.postReadings([
      { device: STALE_FENCED_DEVICE, metric: 'temperature', time, value: 21.5 },
    ]);
    expect(response.status).toBe(202);
    await waitFor(
      async () => (await readLatest(env.redis, E2E_TENANT, STALE_FENCED_DEVICE)).length > 0,
      { timeoutMs: 60_000, message: 'the latest value of the device with a stale fence' },
    );
    expect(await readLatest(env.redis, E2E_TENANT, STALE_FENCED_DEVICE)).toEqual([
      { metric: 'temperature', time, value: 21.5 },
    ]);
  });

  it('stores every reading exactly once, keeps latest values and 1-minute windows exact, and streams a device live', async () => {
    const now = Date.now();
    const devices = Array.from({ length: 40 }, (_, i) => `flow-${i}`);
    const readings = generateReadings({
      devices,
      metrics: ['temperature', 'power'],
      perSeries: 150,
      fromMs: now - 120_000,
      toMs: now,
    });
    const watched = devices[3];

    const socket = new WebSocket(
      `${env.gatewayUrl.replace('http', 'ws')}/ws?apiKey=${E2E_API_KEY}`,
    );
    const received: Array<{ metric: string; time: number; value: number }> = [];
    let subscribed = false;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string;
        device?: string;
        devices?: string[];
        readings?: typeof received;
      };
      if (frame.type === 'subscribed' && frame.devices?.includes(watched)) subscribed = true;
      if (frame.type === 'readings' && frame.device === watched)
        received.push(...(frame.readings ?? []));
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'subscribe', devices: [watched] }));
    await waitFor(() => subscribed || undefined, {
      message: `subscription to ${watched} confirmed`,
    });

    await postAll(env, readings);

    await waitFor(async () => (await countRows(env, 'flow-')) === readings.length || undefined, {
      timeoutMs: 60_000,
      message: `readings table did not reach ${readings.length} rows`,
    });
    expect(await countRows(env, 'flow-')).toBe(readings.length);

    await waitFor(
      async () => (await windowCountTotal(env, readings)) === readings.length || undefined,
      {
        timeoutMs: 30_000,
        message: 'speed-layer window counts did not reach the number of readings',
      },
    );
    await expectWindowsMatch(env, readings);

    const latest = expectedLatest(readings);
    for (const device of devices) {
      const stored = await readLatest(env.redis, E2E_TENANT, device);
      for (const entry of stored) {
        const want = latest.get(seriesKey(device, entry.metric))!;
        expect({ device, metric: entry.metric, time: entry.time, value: entry.value }).toEqual({
          device,
          metric: entry.metric,
          time: want.time,
          value: want.value,
        });
      }
      expect(stored).toHaveLength(2);
    }

    const watchedCount = readings.filter((r) => r.device === watched).length;
    await waitFor(async () => received.length >= watchedCount || undefined, {
      timeoutMs: 30_000,
      message: `WebSocket client got ${received.length} of ${watchedCount} readings`,
    });
    const keyOf = (r: { metric: string; time: number }) => `${r.metric}@${r.time}`;
    expect(new Set(received.map(keyOf))).toEqual(
      new Set(readings.filter((r) => r.device === watched).map(keyOf)),
    );
    socket.close();
  });

  it('loses nothing and double-counts nothing when the transformer and the aggregator are SIGKILLed mid-stream', async () => {
    const now = Date.now();
    const devices = Array.from({ length: 30 }, (_, i) => `crash-${i}`);
    const readings = generateReadings({
      devices,
      metrics: ['temperature', 'humidity'],
      perSeries: 200,
      fromMs: now - 120_000,
      toMs: now,
    });
    const batches = chunk(readings, 500);
    const firstPart = batches.slice(0, Math.floor(batches.length / 2));
    const secondPart = batches.slice(firstPart.length);

    for (const batch of firstPart) expect((await env.postReadings(batch)).status).toBe(202);
    // Kill while the first part is still flowing: some rows stored, not all.
    await waitFor(async () => (await countRows(env, 'crash-')) > 0 || undefined, {
      timeoutMs: 30_000,
      message: 'no crash-test rows were stored before the kill',
    });
    env.pipeline.service('stream-transformer').process.kill('SIGKILL');
    env.pipeline.service('aggregator').process.kill('SIGKILL');
    await env.pipeline.service('stream-transformer').process.waitForExit();
    await env.pipeline.service('aggregator').process.waitForExit();

    // The gateway keeps accepting while the consumers are down: Kafka holds the data.
    for (const batch of secondPart) expect((await env.postReadings(batch)).status).toBe(202);

    await env.pipeline.restart('stream-transformer');
    await env.pipeline.restart('aggregator');

    await waitFor(async () => (await countRows(env, 'crash-')) === readings.length || undefined, {
      timeoutMs: 90_000,
      message: `readings table did not reach ${readings.length} crash-test rows after the restart`,
    });
    await waitFor(
      async () => (await windowCountTotal(env, readings)) >= readings.length || undefined,
      {
        timeoutMs: 60_000,
        message: 'speed-layer window counts did not recover after the restart',
      },
    );
    expect(await countRows(env, 'crash-')).toBe(readings.length);
    await expectWindowsMatch(env, readings);
  });
});
