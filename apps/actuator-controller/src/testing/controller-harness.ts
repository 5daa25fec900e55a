import type { Client } from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@sluice/config';
import {
  ALL_TOPICS,
  ActuatorCommandSchema,
  buildHeaders,
  decodeRecord,
  encodeRecord,
  Topics,
  type ActuatorCommand,
  type ActuatorEvent,
  type AlertEvent,
  type CleanReadingBatch,
} from '@sluice/contracts';
import { createPgPool, runMigrations } from '@sluice/db';
import { callUnary, createGrpcClient } from '@sluice/grpc';
import { BatchConsumer, createKafka, ensureTopics, KafkaProducer, type Kafka } from '@sluice/kafka';
import { findFreePort } from '@sluice/pipeline-launcher';
import { bootstrapService } from '@sluice/service-runtime';
import { startTestBroker, uniqueName, type TestBroker } from '@sluice/testing';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { actuatorControllerEnvSchema } from '../actuator-controller.config';
import { actuatorControllerGrpc, ActuatorControllerModule } from '../actuator-controller.module';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The controller in this process against its own embedded broker, PG schema and Redis prefix, with
 * a gRPC client, a producer for clean readings and acks, and an observer of what it publishes.
 */
export class ControllerHarness {
  readonly schema = uniqueName('test_actuators');
  readonly keyPrefix = `${uniqueName('test_actuators')}:`;
  broker!: TestBroker;
  kafka!: Kafka;
  producer!: KafkaProducer;
  pool!: Pool;
  redis!: Redis;
  app: NestFastifyApplication | undefined;
  client!: Client;
  grpcAddress = '';
  readonly published: ActuatorCommand[] = [];
  readonly alerts: AlertEvent[] = [];
  private observer: BatchConsumer | undefined;
  private env: Record<string, string> = {};

  async start(env: Record<string, string> = {}): Promise<void> {
    this.broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    this.kafka = createKafka({ brokers: this.broker.brokers, clientId: 'actuators-test' });
    await ensureTopics(
      this.kafka,
      ALL_TOPICS.map((topic) => ({ topic, partitions: 2 })),
    );
    this.producer = new KafkaProducer(this.kafka);
    await this.producer.connect();
    await runMigrations(DATABASE_URL, { schema: this.schema });
    this.pool = createPgPool({ url: DATABASE_URL, schema: this.schema, max: 3 });
    this.redis = new Redis(REDIS_URL, { keyPrefix: this.keyPrefix });
    this.observer = new BatchConsumer(this.kafka, {
      groupId: uniqueName('observer'),
      topics: [Topics.actuatorCommands, Topics.alerts],
      handler: async (batch) => {
        for (const message of batch.messages) {
          if (batch.topic === Topics.actuatorCommands) {
            this.published.push(decodeRecord(ActuatorCommandSchema, message.value));
          } else {
            this.alerts.push(JSON.parse(message.value.toString('utf8')) as AlertEvent);
          }
        }
      },
    });
    const assigned = this.observer.waitForAssignment();
    await this.observer.start();
    await assigned;
    this.grpcAddress = `127.0.0.1:${await findFreePort()}`;
    this.env = {
      KAFKA_BROKERS: this.broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: this.schema,
      REDIS_URL,
      REDIS_KEY_PREFIX: this.keyPrefix,
      GRPC_PORT: this.grpcAddress.split(':')[1],
      PROGRAM_TICK_MS: '100',
      OUTBOX_POLL_MS: '100',
      PROGRAMS_REFRESH_MS: '200',
      LOG_LEVEL: 'warn',
      ...env,
    };
    await this.startApp();
    this.client = createGrpcClient({
      protoFile: 'sluice/actuators.proto',
      service: 'sluice.actuators.v1.ActuatorService',
      address: this.grpcAddress,
    });
  }

  async startApp(): Promise<void> {
    const config = loadConfig(actuatorControllerEnvSchema, this.env, 'actuator-controller');
    this.app = await bootstrapService(ActuatorControllerModule.forRoot(config, this.env), {
      name: 'actuator-controller',
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      grpc: actuatorControllerGrpc(config, '127.0.0.1'),
    });
  }

  async stopApp(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }

  call<T>(method: string, request: unknown): Promise<T> {
    return callUnary<T>(this.client, method, request, { timeoutMs: 15_000 });
  }

  async sendReadings(
    tenant: string,
    device: string,
    readings: CleanReadingBatch['readings'],
    ingestTs = Date.now(),
  ): Promise<void> {
    const batch: CleanReadingBatch = {
      tenant,
      device,
      deviceTags: {},
      rawPartition: 0,
      rawOffset: String(Math.floor(Math.random() * 1e9)),
      readings,
    };
    await this.producer.send(Topics.telemetryClean, [
      {
        key: `${tenant}/${device}`,
        value: encodeRecord(batch),
        headers: buildHeaders({ ingestTs }),
      },
    ]);
  }

  async sendEvent(event: ActuatorEvent): Promise<void> {
    await this.producer.send(Topics.actuatorEvents, [
      { key: `${event.tenant}/${event.actuator}`, value: encodeRecord(event) },
    ]);
  }

  async commandRows(tenant: string): Promise<
    Array<{
      id: string;
      actuator: string;
      action: string;
      params: Record<string, unknown>;
      status: string;
      issuer_id: string;
      attempts: number;
      idempotency_key: string;
      status_reason: string | null;
    }>
  > {
    const { rows } = await this.pool.query(
      'SELECT id, actuator, action, params, status, issuer_id, attempts, idempotency_key, status_reason FROM commands WHERE tenant = $1 ORDER BY created_at, id',
      [tenant],
    );
    return rows;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.stopApp();
    await this.observer?.stop();
    await this.producer?.disconnect();
    await this.pool?.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.pool?.end();
    if (this.redis) {
      const keys = await this.redis.keys(`${this.keyPrefix}*`);
      const raw = new Redis(REDIS_URL);
      if (keys.length > 0) await raw.del(...keys);
      raw.disconnect();
      this.redis.disconnect();
    }
    await this.broker?.stop();
  }
}
