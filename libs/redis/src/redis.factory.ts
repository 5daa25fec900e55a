import { createLogger, type Logger } from '@sluice/logging';
import { Redis } from 'ioredis';

export interface RedisConfig {
  /** redis:// or rediss:// (TLS); user/password in the URL for Redis AUTH. */
  url: string;
  /** Prepended to every key of every command (not to SCAN/KEYS patterns). */
  keyPrefix?: string;
  connectionName?: string;
  logger?: Logger;
}

export function createRedis(config: RedisConfig): Redis {
  const logger = config.logger ?? createLogger('redis');
  const redis = new Redis(config.url, {
    keyPrefix: config.keyPrefix ?? '',
    connectionName: config.connectionName ?? 'sluice',
    // Commands issued in the same event-loop turn leave in one socket write: the services send
    // independent commands per record or per command (safety checks, detector state), and on
    // this VM each write costs more CPU than the command it carries.
    enableAutoPipelining: true,
  });
  // ioredis reconnects by itself; without a listener each failed attempt would be printed by
  // ioredis as an "Unhandled error event". Readiness reports the outage; this keeps it in the log.
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'Redis connection error'));
  return redis;
}
