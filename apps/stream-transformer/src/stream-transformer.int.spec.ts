import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@sluice/config';
import {
  buildHeaders,
  CleanReadingBatchSchema,
  decodeRecord,
  DlqRecordSchema,
  RecordHeaders,
  type CleanReadingBatch,
  type DlqRecord,
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
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@sluice/testing';
import type { Pool } from 'pg';
import { transformerEnvSchema } from './stream-transformer.config';
import { StreamTransformerModule } from './stream-transformer.module';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NOW = Date.now();

describe('stream-transformer through the embedded broker', () => {
  const schema = uniqueName('test_transformer');
  const topics = {
    raw: uniqueName('raw'),
    clean: uniqueName('clean'),
    dlq: uniqueName('dlq'),
  };
  let broker: TestBroker;
  let kafka: Kafka;
  let producer: KafkaProducer;
  let pool: Pool;
  let app: INestApplicationContext;
  let observer: BatchConsumer;
  const seen: Record<'clean' | 'dlq', Array<ConsumedMessage & { partition: number }>> = {
    clean: [],
    dlq: [],
  };

  beforeAll(async () => {
    broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    kafka = createKafka({ brokers: broker.brokers, clientId: 'transformer-test' });
    await ensureTopics(kafka, [
      { topic: topics.raw, partitions: 2 },
      { topic: topics.clean, partitions: 2 },
      { topic: topics.dlq, partitions: 1 },
    ]);
    producer = new KafkaProducer(kafka);
    await producer.connect();

    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema });
    await pool.query(`INSERT INTO tenants (id, name) VALUES ('acme', 'Acme')`);
    await pool.query(
      `INSERT INTO devices (tenant, id, tags) VALUES ('acme', 'boiler-1', '{"site": "north", "floor": 2}')`,
    );

    observer = new BatchConsumer(kafka, {
      groupId: uniqueName('observer'),
      topics: [topics.clean, topics.dlq],
      handler: async (batch) => {
        const bucket = batch.topic === topics.clean ? seen.clean : seen.dlq;
        bucket.push(...batch.messages.map((m) => ({ ...m, partition: batch.partition })));
      },
    });
    await observer.start();

    const env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      TRANSFORMER_GROUP_ID: uniqueName('transformer'),
      TOPIC_TELEMETRY_RAW: topics.raw,
      TOPIC_TELEMETRY_CLEAN: topics.clean,
      TOPIC_TELEMETRY_DLQ: topics.dlq,
      TIMESTAMP_MAX_PAST_MS: String(60 * 60_000),
      LOG_LEVEL: 'warn',
      // anomaly detector state goes to Redis: keep it under a key prefix of this test
      REDIS_KEY_PREFIX: `${uniqueName('test_transformer')}:`,
    };
    @Module({
      imports: [
        HealthModule,
        StreamTransformerModule.forRoot(loadConfig(transformerEnvSchema, env), env),
      ],
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
    await broker?.stop();
  });

  const rawBatch = (device: string, readings: unknown[]) => ({
    tenant: 'acme',
    device,
    source: 'http',
    receivedAt: NOW,
    readings,
  });

  it('turns raw records into one clean record each, and refusals into DLQ records', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await producer.send(topics.raw, [
      {
        key: 'acme/boiler-1',
        value: JSON.stringify(
          rawBatch('boiler-1', [
            { metric: 'temperature', time: NOW - 1_000, value: 212, unit: '°F' },
            { metric: 'power', time: NOW - 1_000, value: 2.5, unit: 'kW' },
            { metric: 'power', time: NOW - 500, value: 'lots', unit: 'kW' },
          ]),
        ),
        headers: buildHeaders({ ingestTs: NOW - 5, traceparent }),
      },
      {
        key: 'acme/unregistered-7',
        value: JSON.stringify(
          rawBatch('unregistered-7', [{ metric: 'humidity', time: NOW, value: 40, unit: '%' }]),
        ),
        headers: buildHeaders({ ingestTs: NOW }),
      },
      { key: 'acme/garbage', value: '{"tenant": "acme", "readings": [', headers: {} },
      {
        key: 'acme/boiler-1',
        value: JSON.stringify(
          rawBatch('boiler-1', [{ metric: 'temperature', time: NOW - 3 * 60 * 60_000, value: 1 }]),
        ),
        headers: buildHeaders({ ingestTs: NOW }),
      },
    ]);

    await waitFor(() => seen.clean.length >= 2 && seen.dlq.length >= 3, {
      timeoutMs: 30_000,
      message: '2 clean and 3 DLQ records',
    });

    const clean = seen.clean.map((m) => ({
      message: m,
      value: decodeRecord(CleanReadingBatchSchema, m.value),
    }));
    const boiler = clean.find((c) => c.value.device === 'boiler-1')!;
    expect(boiler.value).toEqual<CleanReadingBatch>({
      tenant: 'acme',
      device: 'boiler-1',
      deviceTags: { site: 'north', floor: '2' },
      rawPartition: expect.any(Number),
      rawOffset: expect.stringMatching(/^\d+$/),
      readings: [
        { metric: 'temperature', time: NOW - 1_000, value: 100, unit: '°C' },
        { metric: 'power', time: NOW - 1_000, value: 2500, unit: 'W' },
      ],
    });
    expect(boiler.message.key).toBe('acme/boiler-1');
    expect(boiler.message.headers[RecordHeaders.traceparent]).toBe(traceparent);
    expect(boiler.message.headers[RecordHeaders.ingestTs]).toBe(String(NOW - 5));

    const unknown = clean.find((c) => c.value.device === 'unregistered-7')!;
    expect(unknown.value.deviceTags).toEqual({});

    const dlq = seen.dlq.map((m) => decodeRecord(DlqRecordSchema, m.value));
    expect(dlq.map((d) => d.reason).sort()).toEqual([
      'invalid_value',
      'timestamp_out_of_range',
      'unparseable',
    ]);
    const invalidValue = dlq.find((d) => d.reason === 'invalid_value') as DlqRecord;
    expect(invalidValue).toMatchObject({
      stage: 'stream-transformer',
      sourceTopic: topics.raw,
      sourceOffset: boiler.value.rawOffset,
      sourcePartition: boiler.value.rawPartition,
      originalKey: 'acme/boiler-1',
    });
    expect(invalidValue.detail).toMatch(/^readings\[2\]\.value: .*\(got "lots"\)/);
    expect(JSON.parse(invalidValue.originalValue).readings).toEqual([
      { metric: 'power', time: NOW - 500, value: 'lots', unit: 'kW' },
    ]);
    const unparseable = dlq.find((d) => d.reason === 'unparseable')!;
    expect(unparseable.originalValue).toBe('{"tenant": "acme", "readings": [');
  }, 60_000);

  it('keeps consuming after bad input: later good records still come out', async () => {
    const before = seen.clean.length;
    await producer.send(topics.raw, [
      { key: 'acme/boiler-1', value: Buffer.from([0xff, 0xfe, 0x00]), headers: {} },
      {
        key: 'acme/boiler-1',
        value: JSON.stringify(
          rawBatch('boiler-1', [{ metric: 'temperature', time: NOW, value: 20, unit: 'C' }]),
        ),
        headers: buildHeaders({ ingestTs: NOW }),
      },
    ]);
    await waitFor(() => seen.clean.length > before, {
      timeoutMs: 30_000,
      message: 'a clean record after bad input',
    });
    const last = decodeRecord(CleanReadingBatchSchema, seen.clean[seen.clean.length - 1].value);
    expect(last.readings).toEqual([{ metric: 'temperature', time: NOW, value: 20, unit: '°C' }]);
  }, 60_000);
});
