import { createLogger } from '@sluice/logging';
import { createRedis } from './redis.factory';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('createRedis', () => {
  const prefix = `sluice-test:redis:${process.pid}:${Date.now()}:`;
  const logger = createLogger('redis-spec', 'silent');
  const prefixed = createRedis({ url: REDIS_URL, keyPrefix: prefix, logger });
  const raw = createRedis({ url: REDIS_URL, logger });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await Promise.all([prefixed.quit(), raw.quit()]);
  });

  it('stores and reads values under the key prefix', async () => {
    await prefixed.set('latest:demo/dev-1', '21.5');

    expect(await prefixed.get('latest:demo/dev-1')).toBe('21.5');
    expect(await raw.get(`${prefix}latest:demo/dev-1`)).toBe('21.5');
    expect(await raw.get('latest:demo/dev-1')).toBeNull();
  });

  it('prefixes the KEYS of a Lua script', async () => {
    await prefixed.eval(`return redis.call('SET', KEYS[1], ARGV[1])`, 1, 'window:1', '7');
    expect(await raw.get(`${prefix}window:1`)).toBe('7');
  });
});
