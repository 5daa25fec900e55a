import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sluice/config';
import {
  buildHeaders,
  decodeRecord,
  DlqRecordSchema,
  encodeRecord,
  type CleanReadingBatch,
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
import {
  dropTestSchema,
  startTestBroker,
  uniqueName,
  waitFor,
  type TestBroker,
} from '@sluice/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { aggregatorEnvSchema } from '../aggregator.config';
import { AggregatorModule } from '../aggregator.module';

jest.setTimeout(120_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Acceptance 2 (issue 4), through Kafka and the running aggregator: a late reading for an hour the
 * batch layer already rolled up marks it dirty and the next tick folds it in; a reading older than
 * BATCH_MAX_LATENESS_MS is not stored and lands in the DLQ as `too_late`.
 */
describe('late data through the aggregator', () => {
  const schema = uniqueName('test_late');
  const keyPrefix = `${uniqueName('test_late')}:`;
  const topics = {
    clean: uniqueName('clean'),
    dlq: uniqueName('dlq'),
    aggregates: uniqueName('agg'),
  };
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;
  let pool: Pool;
  let app: INestApplicationContext;
  let observer: BatchConsumer;
  const dlq: ConsumedMessage[] = [];

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'late-data-test' });
    await ensureTopics(kafka, [
      { topic: topics.clean, partitions: 1 },
      { topic: topics.dlq, partitions: 1 },
      { topic: topics.aggregates, partitions: 1 },
    ]);
    producer = new KafkaProducer(kafka);
    await producer.connect();
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema });
    observer = new BatchConsumer(kafka, {
      groupId: uniqueName('observer'),
      topics: [topics.dlq],
      handler: async (batch) => {
        dlq.push(...batch.messages);
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
      BATCH_TICK_INTERVAL_MS: '200',
      BATCH_BUFFER_MS: '0',
      BATCH_INITIAL_LOOKBACK_MS: String(DAY),
      BATCH_MAX_LATENESS_MS: String(DAY),
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
    await dropTestSchema(pool, schema);
    await pool?.end();
    const cleaner = new Redis(REDIS_URL);
    const keys = await cleaner.keys(`${keyPrefix}*`);
    if (keys.length > 0) await cleaner.unlink(...keys);
    await cleaner.quit();
    await broker?.stop();
  });

  let offset = 0;
  const send = (readings: CleanReadingBatch['readings']) =>
    producer.send(topics.clean, [
      {
        key: 'acme/dev-1',
        value: encodeRecord({
          tenant: 'acme',
          device: 'dev-1',
          deviceTags: {},
          rawPartition: 0,
          rawOffset: String((offset += 1)),
          readings,
        } satisfies CleanReadingBatch),
        headers: buildHeaders({ ingestTs: Date.now() }),
      },
    ]);

  const hourRollup = async (bucket: number) =>
    (
      await pool.query<{ count: string; sum: number; max: number }>(
        `SELECT count, sum, max FROM rollups_1h WHERE device = 'dev-1' AND metric = 'power'
            AND bucket = to_timestamp($1::float8 / 1000)`,
        [bucket],
      )
    ).rows[0];

  it('folds a late reading into its rolled-up hour on the next tick, and refuses one beyond the maximum lateness', async () => {
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    await send([
      { metric: 'power', time: hour + 60_000, value: 10, unit: 'W' },
      { metric: 'power', time: hour + 120_000, value: 20, unit: 'W' },
    ]);
    await waitFor(async () => (await hourRollup(hour))?.count === '2', {
      timeoutMs: 60_000,
      message: 'the hour rolled up with 2 readings',
    });

    // late: the hour is already computed
    await send([{ metric: 'power', time: hour + 30 * 60_000, value: 40, unit: 'W' }]);
    await waitFor(async () => (await hourRollup(hour))?.count === '3', {
      timeoutMs: 60_000,
      message: 'the dirty hour recomputed with the late reading',
    });
    expect(await hourRollup(hour)).toMatchObject({ count: '3', sum: 70, max: 40 });
    const { rows: runs } = await pool.query<{ status: string }>(
      `SELECT status FROM batch_runs WHERE job = 'dirty'`,
    );
    expect(runs.map((run) => run.status)).toContain('succeeded');

    // beyond the maximum lateness (1 day here): DLQ, not stored
    const ancient = Date.now() - 2 * DAY;
    await send([{ metric: 'power', time: ancient, value: 99, unit: 'W' }]);
    const record = await waitFor(
      () =>
        dlq
          .map((m) => decodeRecord(DlqRecordSchema, m.value))
          .find((r) => r.stage === 'aggregator-raw-sink' && r.reason === 'too_late'),
      { timeoutMs: 30_000, message: 'a too_late DLQ record from the raw sink' },
    );
    expect(JSON.parse(record.originalValue).readings).toEqual([
      { metric: 'power', time: ancient, value: 99, unit: 'W' },
    ]);
    const stored = await pool.query(
      `SELECT 1 FROM readings WHERE time = to_timestamp($1::float8 / 1000)`,
      [ancient],
    );
    expect(stored.rowCount).toBe(0);
  });
});
