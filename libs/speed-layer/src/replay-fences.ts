import type { Redis } from 'ioredis';
import { SpeedLayerKeys } from './speed-layer.keys';

/**
 * Deletes every device's replay fence (see `SpeedLayerKeys.fence`). The fences hold offsets of
 * telemetry.raw.v1; when that topic is created anew (a fresh broker, a recreated topic) its offsets
 * start again from 0, and fences left from before would make the speed layer drop every record
 * below them as a replay: latest values and live windows would stand still until the new offsets
 * passed the old ones. Returns how many were deleted.
 *
 * `redis` must not have a `keyPrefix` (SCAN's pattern and answer are not prefixed by ioredis);
 * `keyPrefix` is the one the services use (`REDIS_KEY_PREFIX`).
 */
export async function clearReplayFences(redis: Redis, keyPrefix: string): Promise<number> {
  if (redis.options.keyPrefix)
    throw new Error('clearReplayFences needs a client without keyPrefix');
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}${SpeedLayerKeys.fence('*', '*')}`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
