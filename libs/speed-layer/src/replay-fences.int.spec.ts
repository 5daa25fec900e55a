import { uniqueName } from '@sluice/testing';
import Redis from 'ioredis';
import { clearReplayFences } from './replay-fences';
import { SpeedLayerKeys } from './speed-layer.keys';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('clearing the replay fences of an earlier raw topic (Redis)', () => {
  const redis = new Redis(REDIS_URL);
  const [ours, theirs] = [`${uniqueName('test_fences')}:`, `${uniqueName('test_fences')}:`];

  afterAll(async () => {
    for (const prefix of [ours, theirs]) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.unlink(...keys);
    }
    redis.disconnect();
  });

  it("deletes every device's fence under the services' prefix and nothing else", async () => {
    const devices = Array.from({ length: 2_500 }, (_, i) => `dev-${i}`);
    for (const prefix of [ours, theirs]) {
      const pipeline = redis.pipeline();
      for (const device of devices) {
        pipeline.hset(`${prefix}${SpeedLayerKeys.fence('acme', device)}`, '0', '1000000');
        pipeline.hset(`${prefix}${SpeedLayerKeys.latest('acme', device)}`, 'temperature', '1|2');
      }
      await pipeline.exec();
    }

    expect(await clearReplayFences(redis, ours)).toBe(devices.length);

    expect(await redis.keys(`${ours}*:fence`)).toEqual([]);
    expect(await redis.keys(`${ours}*:latest`)).toHaveLength(devices.length);
    expect(await redis.keys(`${theirs}*:fence`)).toHaveLength(devices.length);
  });

  it('refuses a client whose key prefix would hide the keys it finds', async () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: ours, lazyConnect: true });
    await expect(clearReplayFences(prefixed, ours)).rejects.toThrow('without keyPrefix');
    prefixed.disconnect();
  });
});
