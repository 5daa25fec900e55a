import { alertRulesEnv } from '@sluice/alerting';
import { databaseEnv, envInteger, httpEnv, logEnv, redisEnv, shutdownEnv } from '@sluice/config';
import { Topics } from '@sluice/contracts';
import { z } from 'zod';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Environment of the stream-transformer (Kafka variables are read by KafkaModule). */
export const transformerEnvSchema = z.object({
  ...httpEnv(8081),
  ...databaseEnv,
  ...redisEnv,
  ...logEnv,
  ...shutdownEnv,
  /** Schema of the device registry (default: the database's search_path, i.e. public). */
  DATABASE_SCHEMA: z.string().optional(),
  /** Same defaults as the gateway's ingest window; other producers are held to it here. */
  TIMESTAMP_MAX_PAST_MS: envInteger({ min: 0, default: 30 * DAY_MS }),
  TIMESTAMP_MAX_FUTURE_MS: envInteger({ min: 0, default: 10 * MINUTE_MS }),
  DEVICE_CACHE_TTL_MS: envInteger({ min: 0, default: MINUTE_MS }),
  DEVICE_CACHE_MAX_ENTRIES: envInteger({ min: 1, default: 100_000 }),
  /** Raw partitions transformed in parallel by this instance (order within one is kept). */
  TRANSFORMER_CONCURRENCY: envInteger({ min: 1, max: 64, default: 2 }),
  TRANSFORMER_GROUP_ID: z.string().min(1).default('stream-transformer'),
  TOPIC_TELEMETRY_RAW: z.string().min(1).default(Topics.telemetryRaw),
  TOPIC_TELEMETRY_CLEAN: z.string().min(1).default(Topics.telemetryClean),
  TOPIC_TELEMETRY_DLQ: z.string().min(1).default(Topics.telemetryDlq),
  TOPIC_ALERTS: z.string().min(1).default(Topics.alerts),
  /** Anomaly detector rules (ALERT_RULES JSON or ALERT_RULES_FILE; see libs/alerting README). */
  ...alertRulesEnv,
  /** Detector state of a series without readings for this long expires from Redis. */
  ANOMALY_STATE_TTL_MS: envInteger({ min: 1_000, default: 7 * DAY_MS }),
});

export type TransformerConfig = z.output<typeof transformerEnvSchema>;

export const TRANSFORMER_CONFIG = Symbol('TRANSFORMER_CONFIG');
