import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { Pipeline, type PipelineOptions } from '@sluice/pipeline-launcher';

const ADMIN_DATABASE_URL =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const E2E_API_KEY = 'e2e-demo-key';
export const E2E_TENANT = 'demo';

/**
 * A whole pipeline isolated from every other run: its own database, Redis key prefix, embedded
 * broker and data directory, so e2e suites can run next to `npm start` and other tests.
 */
export class E2eEnvironment {
  readonly id = `e2e_${randomBytes(4).toString('hex')}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  readonly redisPrefix = `${this.id}:`;
  readonly databaseUrl: string;
  pipeline!: Pipeline;
  pool!: Pool;
  redis!: Redis;

  constructor() {
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${this.id}`;
    this.databaseUrl = url.toString();
  }

  async start(options: Partial<PipelineOptions> = {}): Promise<void> {
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${this.id}`);
    await admin.end();
    this.pipeline = new Pipeline({
      dataDir: this.dataDir,
      databaseUrl: this.databaseUrl,
      redisUrl: REDIS_URL,
      ports: 'ephemeral',
      services: ['stream-transformer', 'aggregator', 'ingest-gateway'],
      env: {
        SEED_DEMO: 'true',
        DEMO_API_KEY: E2E_API_KEY,
        REDIS_KEY_PREFIX: this.redisPrefix,
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '10000',
      },
      ...options,
    });
    await this.pipeline.start();
    this.pool = new Pool({ connectionString: this.databaseUrl, max: 2 });
    this.redis = new Redis(REDIS_URL, { keyPrefix: this.redisPrefix });
  }

  get gatewayUrl(): string {
    return this.pipeline.service('ingest-gateway').url;
  }

  async postReadings(readings: unknown[]): Promise<Response> {
    return fetch(`${this.gatewayUrl}/api/v1/readings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${E2E_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readings }),
    });
  }

  async stop(): Promise<void> {
    await this.pipeline?.stop(15_000);
    await this.pool?.end();
    if (this.redis) {
      const keys = await this.redis.keys(`${this.redisPrefix}*`);
      // KEYS returns full names; DEL through a prefixed client would prefix them twice.
      const raw = new Redis(REDIS_URL);
      if (keys.length > 0) await raw.del(...keys);
      raw.disconnect();
      this.redis.disconnect();
    }
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${this.id} WITH (FORCE)`);
    await admin.end();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
