import { z } from 'zod';
import { Topics } from '@sluice/contracts';
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
  /** Ingest answers 503 kafka_unavailable when Kafka has not acknowledged a publish within this. */
  INGEST_PUBLISH_TIMEOUT_MS: envInteger({ min: 100, default: 4000 }),
  /** Bytes of records awaiting Kafka acks above which ingest answers 503 ingest_overloaded at once. */
  INGEST_MAX_INFLIGHT_BYTES: envInteger({ min: 1024, default: 64 * 1024 * 1024 }),
  /** Register unknown devices on first ingest; false refuses readings of unregistered devices. */
  INGEST_AUTO_REGISTER_DEVICES: envBoolean(true),
  /** Line protocol: tag keys naming the device, tried in order (comma-separated). */
  LINE_PROTOCOL_DEVICE_TAGS: z
    .string()
    .default('device,host')
    .transform((value) =>
      value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .refine((keys) => keys.length > 0, 'must name at least one tag key'),
  /** Line protocol: device of points that carry none of LINE_PROTOCOL_DEVICE_TAGS (else refused). */
  LINE_PROTOCOL_DEFAULT_DEVICE: z.string().optional(),
  /** Line protocol string fields: tag (kept as reading tags), reject (line refused), ignore. */
  LINE_PROTOCOL_STRING_FIELDS: z.enum(['tag', 'reject', 'ignore']).default('tag'),
  /** Largest line-protocol body, in bytes after gzip decoding (413 above). */
  LINE_PROTOCOL_MAX_BYTES: envInteger({ min: 1024, default: 32 * 1024 * 1024 }),
  /** Most points in one line-protocol body (413 above). */
  LINE_PROTOCOL_MAX_LINES: envInteger({ min: 1, default: 1_000_000 }),
  /** Default per-API-key rate limit in readings per second (0 = unlimited); api_keys may override. */
  RATE_LIMIT_READINGS_PER_S: envInteger({ min: 0, default: 1_000_000 }),
  /** Default per-API-key bucket size in readings (the burst allowed after idling). */
  RATE_LIMIT_BURST: envInteger({ min: 1, default: 2_000_000 }),
  /** How long the result of a batch with an Idempotency-Key is kept (retries get it back). */
  IDEMPOTENCY_TTL_S: envInteger({ min: 1, default: 24 * 3600 }),
  /**
   * How long an Idempotency-Key stays claimed while its publish's outcome is unknown; must exceed
   * the Kafka client's retry budget (~25 s) so a retry never races a late delivery.
   */
  IDEMPOTENCY_PENDING_S: envInteger({ min: 1, default: 60 }),
  /** Tenant whose admin keys may list and create tenants over REST (unset: tenants only via the CLI). */
  ADMIN_PLATFORM_TENANT: z.string().min(1).optional(),
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
  /** Built dashboard served at `/` (default: apps/dashboard/dist of this checkout). */
  DASHBOARD_DIST_DIR: z.string().min(1).optional(),
  /** Names this instance's live-feed consumer group; defaults to host + pid + random. */
  GATEWAY_INSTANCE_ID: z.string().optional(),
  /** host:port of the aggregator's gRPC server (serving layer: series, energy, batch runs, backfill). */
  AGGREGATOR_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:9182'),
  /** CSV uploads: largest file, in bytes (separate from HTTP_BODY_LIMIT_BYTES; streamed, never buffered). */
  UPLOAD_MAX_BYTES: envInteger({ min: 1024, default: 2 * 1024 * 1024 * 1024 }),
  /** CSV uploads: rows per batch published to Kafka (the next batch is read after the ack). */
  UPLOAD_BATCH_ROWS: envInteger({ min: 1, max: 100_000, default: 5000 }),
  /** CSV uploads: per-row errors kept per job (every rejected row is still counted). */
  UPLOAD_MAX_ERROR_ROWS: envInteger({ min: 0, max: 100_000, default: 1000 }),
  /** CSV uploads: how often a running job writes its progress to PostgreSQL. */
  UPLOAD_PROGRESS_INTERVAL_MS: envInteger({ min: 50, default: 1000 }),
  /**
   * CSV uploads: a running job whose progress has not been written for this long is failed when
   * it is next read (its gateway died mid-upload); keep it well above UPLOAD_PROGRESS_INTERVAL_MS.
   */
  UPLOAD_STALE_AFTER_MS: envInteger({ min: 1000, default: 60_000 }),
  /** CSV uploads: how long a batch is retried while Kafka is unavailable before the job fails. */
  UPLOAD_PUBLISH_RETRY_MS: envInteger({ min: 0, default: 60_000 }),
  /** CSV uploads: jobs one gateway reads at once (503 uploads_busy above). */
  UPLOAD_MAX_CONCURRENT: envInteger({ min: 1, default: 4 }),
  /** gRPC server (sluice.ingest.v1.IngestService streaming ingest); 0 picks a free port. */
  GRPC_PORT: envInteger({ min: 0, max: 65_535, default: 9180 }),
  /** MQTT bridge: broker URL (mqtt://, mqtts://, ws://, wss://); unset = bridge off. */
  MQTT_URL: z
    .string()
    .regex(/^(mqtts?|wss?):\/\/.+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
    .optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** MQTT bridge: topics are {prefix}/{tenant}/{device}/telemetry. */
  MQTT_TOPIC_PREFIX: z
    .string()
    .regex(/^[^#+]+$/, 'must not contain MQTT wildcards')
    .default('sluice'),
  /** MQTT bridge: client id of the persistent session (default sluice-ingest-gateway-<hostname>). */
  MQTT_CLIENT_ID: z.string().min(1).optional(),
  /** MQTT bridge: subscribe as $share/<group>/... so several gateway replicas split the messages. */
  MQTT_SHARED_GROUP: z.string().min(1).optional(),
  /** MQTT bridge: pause before retrying a message while Kafka or the registry is unavailable. */
  MQTT_RETRY_DELAY_MS: envInteger({ min: 10, default: 1000 }),
  /** host:port of the actuator-controller's gRPC server (programs, actuators, commands). */
  ACTUATOR_CONTROLLER_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:9183'),
  /** host:port of the notifier's gRPC server (incidents, silences, channels, deliveries). */
  NOTIFIER_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:9184'),
  /** Incident notifications pushed to /ws alert subscribers (for tests). */
  TOPIC_NOTIFICATIONS: z.string().min(1).default(Topics.notifications),
});

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
