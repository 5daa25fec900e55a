import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sluice/config';
import {
  buildHeaders,
  decodeRecord,
  DlqRecordSchema,
  encodeRecord,
  WindowAggregateSchema,
  type CleanReadingBatch,
  type WindowAggregate,
} from '@sluice/contracts';
import { createPgPool, runMigrations } from '@sluice/db';
import { HealthModule } from '@sluice/health';
import {
  BatchConsumer,
  createKafka,
  ensureTopics,
  KafkaProducer,
  type ConsumedMessage,
  type Kafka,
} from '@sluice/kafka';
import { readLatest, readWindows } from '@sluice/speed-layer';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { aggregatorEnvSchema } from './aggregator.config';
import { AggregatorModule } from './aggregator.module';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WINDOW_MS = 1_000;
const LATENESS_MS = 1_000;

describe('aggregator through the embedded broker', () => {
  const schema = uniqueName('test_aggregator');
  const keyPrefix = `${uniqueName('test_aggregator')}:`;
  const topics = {
    clean: uniqueName('clean'),
    dlq: uniqueName('dlq'),
    aggregates: uniqueName('agg'),
  };
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;
  let pool: Pool;
  let redis: Redis;
  let app: INestApplicationContext;
  let observer: BatchConsumer;
  const seen: Record<'dlq' | 'aggregates', ConsumedMessage[]> = { dlq: [], aggregates: [] };

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'aggregator-test' });
    await ensureTopics(kafka, [
      { topic: topics.clean, partitions: 2 },
      { topic: topics.dlq, partitions: 1 },
      { topic: topics.aggregates, partitions: 1 },
    ]);
    producer = new KafkaProducer(kafka);
    await producer.connect();
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema });
    redis = new Redis(REDIS_URL, { keyPrefix });

    observer = new BatchConsumer(kafka, {
      groupId: uniqueName('observer'),
      topics: [topics.dlq, topics.aggregates],
      handler: async (batch) => {
        (batch.topic === topics.dlq ? seen.dlq : seen.aggregates).push(...batch.messages);
      },
    });
    await observer.start();

    const env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      RAW_SINK_GROUP_ID: uniqueName('raw_sink'),
      SPEED_LAYER_GROUP_ID: uniqueName('speed_layer'),
      TOPIC_TELEMETRY_CLEAN: topics.clean,
      TOPIC_TELEMETRY_DLQ: topics.dlq,
      TOPIC_AGGREGATES_1M: topics.aggregates,
      SPEED_WINDOW_MS: String(WINDOW_MS),
      SPEED_ALLOWED_LATENESS_MS: String(LATENESS_MS),
      SPEED_RETENTION_MS: String(60_000),
      SPEED_CLOSER_INTERVAL_MS: '100',
      SPEED_CLOSER_GRACE_MS: '0',
    };
    @Module({
      imports: [HealthModule, AggregatorModule.forRoot(loadConfig(aggregatorEnvSchema, env), env)],
    })
    class TestRootModule {}
    app = await NestFactory.createApplicationContext(TestRootModule, { logger: false });
    await app.init();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await observer?.stop();
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

  const cleanRecord = (batch: CleanReadingBatch) => ({
    key: `${batch.tenant}/${batch.device}`,
    value: encodeRecord(batch),
    headers: buildHeaders({ ingestTs: Date.now() }),
  });

  it('stores every reading once, windows them, publishes closed windows and refuses late ones', async () => {
    // Start in a fresh window so every reading below is on time.
    const start = Math.ceil((Date.now() + 1) / WINDOW_MS) * WINDOW_MS;
    await waitFor(() => Date.now() >= start, { message: 'the next window to start' });
    const devices = ['dev-1', 'dev-2', 'dev-3'];
    const records: CleanReadingBatch[] = devices.flatMap((device, d) =>
      [0, 1].map((r) => ({
        tenant: 'acme',
        device,
        deviceTags: {},
        rawPartition: 0,
        rawOffset: String(100 + d * 10 + r),
        readings: [0, 1, 2, 3].map((i) => ({
          metric: 'power',
          time: start + r * 4 + i,
          value: d * 100 + r * 10 + i,
          unit: 'W',
        })),
      })),
    );
    // The second copy of a record is what a transformer replay produces: same raw offset.
    await producer.send(topics.clean, [...records, records[0], records[3]].map(cleanRecord));

    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
        return rows[0].n === String(devices.length * 8);
      },
      { timeoutMs: 30_000, message: '24 rows in readings' },
    );

    const expected = (device: string): Omit<WindowAggregate, 'windowEnd'> => {
      const readings = records.filter((r) => r.device === device).flatMap((r) => r.readings);
      const values = readings.map((r) => r.value);
      return {
        tenant: 'acme',
        device,
        metric: 'power',
        windowStart: start,
        count: readings.length,
        sum: values.reduce((a, b) => a + b, 0),
        min: Math.min(...values),
        max: Math.max(...values),
        first: readings[0].value,
        firstTime: readings[0].time,
        last: readings[readings.length - 1].value,
        lastTime: readings[readings.length - 1].time,
      };
    };
    for (const device of devices) {
      const windows = await waitFor(
        async () => {
          const found = await readWindows(
            redis,
            'acme',
            device,
            'power',
            start,
            start + WINDOW_MS,
            WINDOW_MS,
          );
          return found.length === 1 && found[0].count === 8 ? found : undefined;
        },
        { message: `the speed-layer window of ${device}` },
      );
      expect(windows[0]).toMatchObject(expected(device));
      const last = records.filter((r) => r.device === device)[1].readings[3];
      expect(await readLatest(redis, 'acme', device)).toEqual([
        { metric: 'power', time: last.time, value: last.value },
      ]);
    }

    // Closed windows are published once their end + lateness has passed.
    const published = await waitFor(
      () => {
        const windows = seen.aggregates.map((m) => decodeRecord(WindowAggregateSchema, m.value));
        return windows.length >= devices.length ? windows : undefined;
      },
      { timeoutMs: 15_000, message: 'closed windows on the aggregates topic' },
    );
    expect(published.sort((a, b) => a.device.localeCompare(b.device))).toEqual(
      devices.map((device) => ({ ...expected(device), windowEnd: start + WINDOW_MS })),
    );

    // A reading for that closed window now is too late: stored, not windowed, in the DLQ.
    await producer.send(topics.clean, [
      cleanRecord({
        tenant: 'acme',
        device: 'dev-1',
        deviceTags: {},
        rawPartition: 0,
        rawOffset: '500',
        readings: [{ metric: 'power', time: start + 500, value: 7, unit: 'W' }],
      }),
    ]);
    const tooLate = await waitFor(
      () =>
        seen.dlq
          .map((m) => decodeRecord(DlqRecordSchema, m.value))
          .find((d) => d.reason === 'too_late'),
      { timeoutMs: 15_000, message: 'a too_late DLQ record' },
    );
    expect(tooLate).toMatchObject({
      stage: 'aggregator-speed-layer',
      sourceTopic: topics.clean,
      originalKey: 'acme/dev-1',
    });
    expect(JSON.parse(tooLate.originalValue).readings).toEqual([
      { metric: 'power', time: start + 500, value: 7, unit: 'W' },
    ]);
    await waitFor(
      async () => {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
        return rows[0].n === String(devices.length * 8 + 1);
      },
      { message: 'the late reading stored by the raw sink' },
    );
    const [window] = await readWindows(
      redis,
      'acme',
      'dev-1',
      'power',
      start,
      start + WINDOW_MS,
      WINDOW_MS,
    );
    expect(window.count).toBe(8);
  }, 60_000);

  it('sends clean records that violate the contract to the DLQ once and keeps going', async () => {
    const before = seen.dlq.length;
    await producer.send(topics.clean, [{ key: 'acme/x', value: '{"tenant":"acme"}', headers: {} }]);
    const rejected = await waitFor(
      () =>
        seen.dlq
          .slice(before)
          .map((m) => decodeRecord(DlqRecordSchema, m.value))
          .find((d) => d.reason === 'invalid_schema'),
      { timeoutMs: 15_000, message: 'an invalid_schema DLQ record' },
    );
    expect(rejected).toMatchObject({
      stage: 'aggregator-raw-sink',
      originalValue: '{"tenant":"acme"}',
    });
  }, 30_000);
});
