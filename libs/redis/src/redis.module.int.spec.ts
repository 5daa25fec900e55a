import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@sluice/logging';
import { waitFor } from '@sluice/testing';
import type { Redis } from 'ioredis';
import { REDIS, RedisModule } from './redis.module';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('RedisModule', () => {
  it('reports redis ready and quits the client when the application closes', async () => {
    const app = await NestFactory.create<NestFastifyApplication>(
      RedisModule.forRoot({
        url: REDIS_URL,
        keyPrefix: 'sluice-test:',
        logger: createLogger('redis-spec', 'silent'),
      }),
      new FastifyAdapter(),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    const redis = app.get<Redis>(REDIS);
    try {
      const response = await fetch(`${await app.getUrl()}/health/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ checks: { redis: { status: 'ok' } } });
    } finally {
      await app.close();
    }
    // QUIT resolves on the server's OK; the socket closes right after
    await waitFor(() => redis.status === 'end', { message: 'the Redis connection to end' });
  });
});
