import { createServer } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@sluice/logging';
import type pg from 'pg';
import { DbModule, PG_POOL } from './db.module';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const logger = createLogger('db-module-spec', 'silent');

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

async function startApp(url: string): Promise<{ app: NestFastifyApplication; baseUrl: string }> {
  const app = await NestFactory.create<NestFastifyApplication>(
    DbModule.forRoot({ url, logger, connectionTimeoutMs: 1000 }),
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return { app, baseUrl: await app.getUrl() };
}

describe('DbModule', () => {
  it('reports postgres ready and ends the pool when the application closes', async () => {
    const { app, baseUrl } = await startApp(DATABASE_URL);
    const pool = app.get<pg.Pool>(PG_POOL);
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'ok',
        checks: { postgres: { status: 'ok' } },
      });
    } finally {
      await app.close();
    }
    expect(pool.ended).toBe(true);
  });

  it('turns readiness to 503 when PostgreSQL is unreachable', async () => {
    const { app, baseUrl } = await startApp(
      `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`,
    );
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        status: 'error',
        checks: { postgres: { status: 'error', error: expect.stringContaining('ECONNREFUSED') } },
      });
    } finally {
      await app.close();
    }
  });
});
