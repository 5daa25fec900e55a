import { z } from 'zod';
import {
  databaseEnv,
  envBoolean,
  envInteger,
  httpEnv,
  kafkaEnv,
  logEnv,
  redisEnv,
  shutdownEnv,
} from '@sluice/config';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export const gatewayEnvSchema = z.object({
  ...httpEnv(8080),
  ...logEnv,
  ...shutdownEnv,
  ...databaseEnv,
  ...redisEnv,
  ...kafkaEnv,
  /** Most readings one POST /api/v1/readings may carry. */
  INGEST_MAX_READINGS: envInteger({ min: 1, max: 1_000_000, default: 5000 }),
  /** Oldest accepted reading time, as an age in ms (default 30 days). */
  INGEST_MAX_PAST_MS: envInteger({ min: 0, default: 30 * DAY_MS }),
  /** Newest accepted reading time, ahead of the gateway clock in ms (default 10 minutes). */
  INGEST_MAX_FUTURE_MS: envInteger({ min: 0, default: 10 * MINUTE_MS }),
  /** Retry-After (seconds) sent with 503 when Kafka is unavailable. */
  INGEST_RETRY_AFTER_S: envInteger({ min: 1, default: 5 }),
  /** Register unknown devices on first ingest; false refuses readings of unregistered devices. */
  INGEST_AUTO_REGISTER_DEVICES: envBoolean(true),
  DEVICE_LAST_SEEN_FLUSH_MS: envInteger({ min: 100, default: 5000 }),
  /** API-key lookups are cached this long: also the delay before a revocation takes effect. */
  AUTH_CACHE_TTL_MS: envInteger({ min: 0, default: 10_000 }),
  AUTH_LAST_USED_FLUSH_MS: envInteger({ min: 100, default: 30_000 }),
  /** Seed tenant "demo", its API key and the simulator's devices at start (idempotent). */
  SEED_DEMO: envBoolean(false),
  DEMO_API_KEY: z.string().min(8, 'must be at least 8 characters').default('sluice-demo-key'),
  SEED_DEMO_DEVICES: envInteger({ min: 0, max: 10_000, default: 20 }),
  /** A WebSocket client whose unsent data exceeds this many bytes loses frames (counted). */
  WS_MAX_BUFFERED_BYTES: envInteger({ min: 1024, default: 1024 * 1024 }),
  /** Consecutive dropped frames after which a slow client is disconnected (1013). */
  WS_MAX_DROPPED_FRAMES: envInteger({ min: 1, default: 1000 }),
  WS_PING_INTERVAL_MS: envInteger({ min: 100, default: 30_000 }),
  /** Most devices one WebSocket connection may subscribe to. */
  WS_MAX_SUBSCRIPTIONS: envInteger({ min: 1, default: 1000 }),
  /** Schema for the registry tables (default: the database's search_path, i.e. public). */
  DATABASE_SCHEMA: z.string().optional(),
  /** Names this instance's live-feed consumer group; defaults to host + pid + random. */
  GATEWAY_INSTANCE_ID: z.string().optional(),
});

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
