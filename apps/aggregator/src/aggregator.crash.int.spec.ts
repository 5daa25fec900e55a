import { buildHeaders, encodeRecord, type CleanReadingBatch } from '@sluice/contracts';
import { createPgPool, runMigrations } from '@sluice/db';
import { createKafka, ensureTopics, KafkaProducer, type Kafka } from '@sluice/kafka';
import { readWindows } from '@sluice/speed-layer';
import {
  spawnService,
  startTestBroker,
  uniqueName,
  waitFor,
  type SpawnedService,
  type TestBroker,
} from '@sluice/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DEVICES = 12;
const RECORDS_PER_DEVICE = 40;
const READINGS_PER_RECORD = 25;
const TOTAL = DEVICES * RECORDS_PER_DEVICE * READINGS_PER_RECORD;

describe('aggregator killed with SIGKILL mid-stream', () => {
  const schema = uniqueName('test_agg_crash');
  const keyPrefix = `${uniqueName('test_agg_crash')}:`;
  const topic = uniqueName('clean');
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;
  let pool: Pool;
  let redis: Redis;
  let service: SpawnedService | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'aggregator-crash-test' });
    await ensureTopics(kafka, [{ topic, partitions: 3 }]);
    producer = new KafkaProducer(kafka);
    await producer.connect();
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema });
    redis = new Redis(REDIS_URL, { keyPrefix });
    env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      PORT: '0',
      // the aggregator serves gRPC (serving layer): a free port, never the default 9182
      GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
      RAW_SINK_GROUP_ID: uniqueName('raw_sink'),
      SPEED_LAYER_GROUP_ID: uniqueName('speed_layer'),
      TOPIC_TELEMETRY_CLEAN: topic,
      TOPIC_TELEMETRY_DLQ: uniqueName('dlq'),
      TOPIC_AGGREGATES_1M: uniqueName('agg'),
      // Nothing in this test is late: the crash, not lateness, is under test.
      SPEED_ALLOWED_LATENESS_MS: String(30 * 60_000),
      SPEED_RETENTION_MS: String(60 * 60_000),
    };
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await producer?.disconnect();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
    if (redis) {
      const cleaner = new Redis(REDIS_URL);
      const keys = await cleaner.keys(`${keyPrefix}*`);
      if (keys.length > 0) await cleaner.unlink(...keys);
      await cleaner.quit();
      await redis.quit();
    }
    await broker?.stop();
  });

  const storedRows = async (): Promise<number> =>
    Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0].n);

  it('ends with every reading stored once and every window counted once', async () => {
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
    const records: CleanReadingBatch[] = [];
    for (let r = 0; r < RECORDS_PER_DEVICE; r++) {
      for (let d = 0; d < DEVICES; d++) {
        records.push({
          tenant: 'acme',
          device: `dev-${d}`,
          deviceTags: {},
          rawPartition: d % 3,
          rawOffset: String(r),
          readings: Array.from({ length: READINGS_PER_RECORD }, (_, i) => ({
            metric: i % 2 === 0 ? 'temperature' : 'power',
            // spread over 3 windows, every (metric, time) distinct per device
            time: t0 + (((r * READINGS_PER_RECORD + i) * 150) % (3 * 60_000)),
            value: (d + 1) * 1000 + r * READINGS_PER_RECORD + i,
          })),
        });
      }
    }
    const send = (batch: CleanReadingBatch[]) =>
      producer.send(
        topic,
        batch.map((record) => ({
          key: `${record.tenant}/${record.device}`,
          value: encodeRecord(record),
          headers: buildHeaders({ ingestTs: Date.now() }),
        })),
      );

    const half = records.length / 2;
    for (let i = 0; i < half; i += 40) await send(records.slice(i, i + 40));
    service = spawnService('apps/aggregator/src/main.ts', env);
    await waitFor(async () => (await storedRows()) > 0, {
      timeoutMs: 60_000,
      message: 'first rows',
    });
    service.kill('SIGKILL');
    await service.waitForExit();
    const atCrash = await storedRows();

    for (let i = half; i < records.length; i += 40) await send(records.slice(i, i + 40));
    service = spawnService('apps/aggregator/src/main.ts', env);
    await waitFor(async () => (await storedRows()) === TOTAL, {
      timeoutMs: 120_000,
      intervalMs: 250,
      message: `${TOTAL} rows after the restart (had ${atCrash} at the crash)`,
    });

    for (let d = 0; d < DEVICES; d++) {
      const device = `dev-${d}`;
      const readings = records.filter((r) => r.device === device).flatMap((r) => r.readings);
      for (const metric of ['temperature', 'power']) {
        const ofMetric = readings.filter((r) => r.metric === metric);
        const windows = await waitFor(
          async () => {
            const found = await readWindows(redis, 'acme', device, metric, t0, t0 + 3 * 60_000);
            const counted = found.reduce((sum, w) => sum + w.count, 0);
            return counted >= ofMetric.length ? found : undefined;
          },
          { timeoutMs: 60_000, message: `speed-layer windows of ${device} ${metric}` },
        );
        for (const window of windows) {
          const inside = ofMetric.filter(
            (r) => r.time >= window.windowStart && r.time < window.windowEnd,
          );
          expect({ device, metric, start: window.windowStart, count: window.count }).toEqual({
            device,
            metric,
            start: window.windowStart,
            count: inside.length,
          });
          expect(window.sum).toBe(inside.reduce((sum, r) => sum + r.value, 0));
          expect(window.min).toBe(Math.min(...inside.map((r) => r.value)));
          expect(window.max).toBe(Math.max(...inside.map((r) => r.value)));
        }
      }
    }
    const { rows } = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM (SELECT DISTINCT tenant, device, metric, time FROM readings) d',
    );
    expect(Number(rows[0].n)).toBe(TOTAL);
  }, 240_000);
});
