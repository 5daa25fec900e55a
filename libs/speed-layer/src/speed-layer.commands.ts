import type { ChainableCommander, Redis, Result } from 'ioredis';
import { APPLY_BATCH_LUA, CLAIM_CLOSED_WINDOWS_LUA } from './speed-layer.scripts';

type RedisArg = string | number;

/** The script commands defineCommand adds to a client and to its pipelines. */
interface SpeedLayerCommander<Context extends { type: 'default' | 'pipeline' }> {
  sluiceSpeedApply(...args: RedisArg[]): Result<number[], Context>;
  sluiceSpeedClaim(...args: RedisArg[]): Result<Array<string | string[]>, Context>;
}

export type SpeedLayerRedis = Redis & SpeedLayerCommander<{ type: 'default' }>;
export type SpeedLayerPipeline = ChainableCommander & SpeedLayerCommander<{ type: 'pipeline' }>;

const prepared = new WeakSet<Redis>();

/**
 * Registers the scripts on a client once (idempotent). ioredis then sends EVALSHA and transparently
 * loads the script when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH), also in pipelines.
 */
export function speedLayerCommands(redis: Redis): SpeedLayerRedis {
  if (!prepared.has(redis)) {
    redis.defineCommand('sluiceSpeedApply', { lua: APPLY_BATCH_LUA, numberOfKeys: 2 });
    redis.defineCommand('sluiceSpeedClaim', { lua: CLAIM_CLOSED_WINDOWS_LUA, numberOfKeys: 1 });
    prepared.add(redis);
  }
  return redis as SpeedLayerRedis;
}

export function speedLayerPipeline(redis: Redis): SpeedLayerPipeline {
  return speedLayerCommands(redis).pipeline() as SpeedLayerPipeline;
}

/** The key prefix ioredis adds to KEYS; scripts that build keys from stored members need it. */
export function keyPrefixOf(redis: Redis): string {
  return redis.options.keyPrefix ?? '';
}
