import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@sluice/config';
import type { Logger } from '@sluice/logging';
import { createPgPool, runMigrations } from '@sluice/db';
import { createKafka, ensureTopics, type Kafka } from '@sluice/kafka';
import { bootstrapService } from '@sluice/service-runtime';
import {
  createTestSchema,
  dropTestSchema,
  startTestBroker,
  uniqueName,
  type TestBroker,
} from '@sluice/testing';
import type pg from 'pg';
import { generateApiKey, hashApiKey, type ApiKeyScope } from '../auth/api-key';
import { gatewayEnvSchema } from '../gateway.config';
import { GatewayModule } from '../gateway.module';
import { gatewayGrpc } from '../grpc-ingest/grpc-ingest.module';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A gateway booted like main.ts, against its own broker, PostgreSQL schema and Redis prefix. */
export interface TestGateway {
  app: NestFastifyApplication;
  baseUrl: string;
  wsUrl: string;
  /** host:port of the gRPC server, when started with `grpc: true`. */
  grpcAddress: string | undefined;
  /** Pool on the test schema, for arranging tenants/keys and inspecting the registry. */
  pool: pg.Pool;
  kafka: Kafka;
  /** The in-process broker, unless `brokers` was given. */
  broker: TestBroker | undefined;
  redisUrl: string;
  redisPrefix: string;
  /** Creates the tenant if needed and a key for it; returns the raw key. */
  createKey(tenant: string, scopes: ApiKeyScope[], deviceIds?: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  /** Topics to create before the gateway starts (its live consumer must see them). */
  topics?: Array<{ topic: string; partitions: number }>;
  /** Use this broker instead of starting an embedded one in-process. */
  brokers?: string[];
  /** The app's logger (default: stdout at LOG_LEVEL); tests capture logs with their own. */
  logger?: Logger;
  /** Also serve gRPC (IngestService) on a free port, like main.ts does. */
  grpc?: boolean;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { env = {}, topics = [] } = options;
  const broker = options.brokers ? undefined : await startTestBroker();
  const brokers = options.brokers ?? broker?.brokers ?? [];
  const admin = createPgPool({ url: DATABASE_URL, max: 2 });
  const schema = await createTestSchema(admin, 'gateway');
  await runMigrations(DATABASE_URL, { schema });
  const pool = createPgPool({ url: DATABASE_URL, max: 2, schema });
  const kafka = createKafka({ brokers, clientId: 'gateway-test' });
  if (topics.length > 0) await ensureTopics(kafka, topics);

  const redisPrefix = `${uniqueName('gateway')}:`;
  const fullEnv: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: brokers.join(','),
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    ...(options.grpc ? { GRPC_PORT: String(await freePort()) } : {}),
    ...env,
  };
  const config = loadConfig(gatewayEnvSchema, fullEnv, 'ingest-gateway');
  const app = await bootstrapService(GatewayModule.forRoot(config, fullEnv), {
    name: 'ingest-gateway',
    port: 0,
    host: '127.0.0.1',
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    logLevel: config.LOG_LEVEL,
    graceMs: 10_000,
    logger: options.logger,
    grpc: options.grpc ? gatewayGrpc(config, '127.0.0.1') : undefined,
  });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  let keys = 0;
  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    grpcAddress: options.grpc ? `127.0.0.1:${config.GRPC_PORT}` : undefined,
    pool,
    kafka,
    broker,
    redisUrl: REDIS_URL,
    redisPrefix,
    async createKey(tenant, scopes, deviceIds) {
      const key = generateApiKey();
      keys += 1;
      await pool.query('INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING', [
        tenant,
      ]);
      await pool.query(
        'INSERT INTO api_keys (id, tenant, key_hash, name, scopes, device_ids) VALUES ($1, $2, $3, $4, $5, $6)',
        [`${tenant}-key-${keys}`, tenant, hashApiKey(key), 'test key', scopes, deviceIds ?? null],
      );
      return key;
    },
    async stop() {
      await app.close();
      await pool.end();
      await dropTestSchema(admin, schema);
      await admin.end();
      await broker?.stop();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
