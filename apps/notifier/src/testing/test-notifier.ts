import type { Client } from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@sluice/config';
import { encodeRecord, type AlertEvent } from '@sluice/contracts';
import { createPgPool, runMigrations } from '@sluice/db';
import { callUnary, createGrpcClient } from '@sluice/grpc';
import { createKafka, ensureTopics, KafkaProducer, type Kafka } from '@sluice/kafka';
import { bootstrapService } from '@sluice/service-runtime';
import { startTestBroker, uniqueName, type TestBroker } from '@sluice/testing';
import { createServer } from 'node:net';
import type { Pool } from 'pg';
import { notifierEnvSchema } from '../notifier.config';
import { NotifierModule } from '../notifier.module';

export const DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

/**
 * What a notifier test needs besides the notifier: its own broker and topics, a migrated scratch
 * schema, a producer for alerts.v1 and an env that points a notifier (in-process or spawned) at
 * all of it.
 */
export class NotifierTestBed {
  broker!: TestBroker;
  kafka!: Kafka;
  producer!: KafkaProducer;
  pool!: Pool;
  readonly schema = uniqueName('test_notifier');
  readonly topics = { alerts: uniqueName('alerts'), notifications: uniqueName('notifications') };
  env: Record<string, string> = {};

  async start(overrides: Record<string, string> = {}): Promise<void> {
    this.broker = await startTestBroker({ fsync: { mode: 'interval', intervalMs: 100 } });
    this.kafka = createKafka({ brokers: this.broker.brokers, clientId: 'notifier-test' });
    await ensureTopics(this.kafka, [
      { topic: this.topics.alerts, partitions: 2 },
      { topic: this.topics.notifications, partitions: 1 },
    ]);
    this.producer = new KafkaProducer(this.kafka);
    await this.producer.connect();
    await runMigrations(DATABASE_URL, { schema: this.schema });
    this.pool = createPgPool({ url: DATABASE_URL, schema: this.schema });
    await this.pool.query(
      `INSERT INTO tenants (id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING`,
    );
    this.env = {
      KAFKA_BROKERS: this.broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: this.schema,
      ALERTS_GROUP_ID: uniqueName('notifier'),
      TOPIC_ALERTS: this.topics.alerts,
      TOPIC_NOTIFICATIONS: this.topics.notifications,
      INCIDENT_TICK_MS: '100',
      DELIVERY_POLL_MS: '50',
      DELIVERY_BACKOFF_BASE_MS: '50',
      DELIVERY_BACKOFF_MAX_MS: '200',
      DELIVERY_TIMEOUT_MS: '2000',
      DELIVERY_LEASE_MS: '10000',
      LOG_LEVEL: 'error',
      ...overrides,
    };
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect();
    await this.pool?.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await this.pool?.end();
    await this.broker?.stop();
  }

  async publish(events: AlertEvent[]): Promise<void> {
    await this.producer.send(
      this.topics.alerts,
      events.map((event) => ({
        key: `${event.tenant}/${event.device ?? '_system'}`,
        value: encodeRecord(event),
      })),
    );
  }

  /** The notifier in this process (HTTP on a free port, gRPC on `grpcPort`). */
  async startInProcess(
    env: Record<string, string> = {},
  ): Promise<{ app: NestFastifyApplication; client: Client; grpcAddress: string }> {
    const grpcPort = await freePort();
    const all: Record<string, string> = { ...this.env, GRPC_PORT: String(grpcPort), ...env };
    const config = loadConfig(notifierEnvSchema, all);
    const app = await bootstrapService(NotifierModule.forRoot(config, all), {
      name: 'notifier',
      port: 0,
      host: '127.0.0.1',
      logLevel: all.LOG_LEVEL,
      grpc: {
        url: `127.0.0.1:${grpcPort}`,
        protoFiles: ['sluice/alerts.proto'],
        packages: ['sluice.alerts.v1'],
      },
    });
    const grpcAddress = `127.0.0.1:${grpcPort}`;
    return { app, client: alertsClient(grpcAddress), grpcAddress };
  }
}

export function alertsClient(address: string): Client {
  return createGrpcClient({
    protoFile: 'sluice/alerts.proto',
    service: 'sluice.alerts.v1.AlertsService',
    address,
  });
}

export function call<T = Record<string, unknown>>(
  client: Client,
  method: string,
  request: unknown,
): Promise<T> {
  return callUnary<T>(client, method, request, { timeoutMs: 10_000 });
}

let counter = 0;
export function alertEvent(overrides: Partial<AlertEvent> = {}): AlertEvent {
  counter += 1;
  return {
    id: `evt-${process.pid}-${Date.now()}-${counter}`,
    tenant: 'acme',
    device: 'boiler-1',
    metric: 'temperature',
    kind: 'threshold',
    severity: 'critical',
    state: 'firing',
    message: '95 is above the maximum 90',
    evidence: { value: 95, max: 90 },
    at: Date.now(),
    ...overrides,
  };
}
