import { createServer, type Server } from 'node:net';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { metricsRegistry } from '@sluice/metrics';
import { HealthModule } from './health.module';
import { HealthService } from './health.service';

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('health endpoints', () => {
  @Module({ imports: [HealthModule] })
  class AppModule {}

  let app: NestFastifyApplication;
  let health: HealthService;
  let baseUrl: string;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
    health = app.get(HealthService);
  });

  afterAll(async () => {
    await app.close();
  });

  beforeEach(() => {
    health.unregister('postgres');
    health.unregister('slow');
    health.unregister('redis');
  });

  async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${baseUrl}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('is ready with the detail of every passing check', async () => {
    health.register('redis', async () => undefined);
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });
  });

  it('answers 503 naming the failing dependency when PostgreSQL is unreachable', async () => {
    // A real connection attempt to a closed port (refused), as the db lib's check does.
    const { Client } = await import('pg');
    const port = await closedPort();
    health.register('postgres', async () => {
      const client = new Client({ host: '127.0.0.1', port, user: 'postgres' });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    });
    health.register('redis', async () => undefined);

    for (const path of ['/health/ready', '/health']) {
      const { status, body } = await get(path);
      expect(status).toBe(503);
      expect(body).toMatchObject({
        status: 'error',
        checks: {
          postgres: { status: 'error', error: expect.stringContaining('ECONNREFUSED') },
          redis: { status: 'ok' },
        },
      });
    }
    expect((await get('/health/live')).status).toBe(200);
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(/^sluice_health_check_up\{check="postgres"\} 0$/m);
    expect(metrics).toMatch(/^sluice_health_check_up\{check="redis"\} 1$/m);
  });

  it('fails a check that exceeds its timeout', async () => {
    health.register(
      'slow',
      () => new Promise<void>((resolve) => setTimeout(resolve, 5000).unref()),
      {
        timeoutMs: 50,
      },
    );
    const { status, body } = await get('/health/ready');
    expect(status).toBe(503);
    expect(body).toMatchObject({
      checks: { slow: { status: 'error', error: 'health check "slow" timed out after 50 ms' } },
    });
  });

  it('reports draining as not ready while liveness stays up', async () => {
    health.register('redis', async () => undefined);
    expect((await get('/health/ready')).status).toBe(200);
    expect(await metricsRegistry.metrics()).toMatch(/^sluice_service_draining 0$/m);
    health.setDraining();
    expect(await metricsRegistry.metrics()).toMatch(/^sluice_service_draining 1$/m);
    const ready = await get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'draining', checks: { redis: { status: 'ok' } } });
    expect((await get('/health/live')).status).toBe(200);
  });
});
