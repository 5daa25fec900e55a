export type { Redis } from 'ioredis';
export { createRedis, type RedisConfig } from './redis.factory';
export { REDIS, RedisModule } from './redis.module';
export { observeRedisOperation } from './redis-operation.metrics';
