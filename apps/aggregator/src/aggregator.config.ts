import { databaseEnv, envInteger, httpEnv, logEnv, redisEnv, shutdownEnv } from '@sluice/config';
import { Topics } from '@sluice/contracts';
import { z } from 'zod';

const MINUTE_MS = 60_000;

/** Environment of the aggregator (Kafka variables are read by KafkaModule). */
export const aggregatorEnvSchema = z.object({
  ...httpEnv(8082),
  ...databaseEnv,
  ...redisEnv,
  ...logEnv,
  ...shutdownEnv,
  /** Schema of the readings table (default: the database's search_path, i.e. public). */
  DATABASE_SCHEMA: z.string().optional(),
  /** Clean partitions written in parallel by the raw sink (one transaction each). */
  RAW_SINK_CONCURRENCY: envInteger({ min: 1, max: 64, default: 2 }),
  RAW_SINK_GROUP_ID: z.string().min(1).default('aggregator-raw-sink'),
  SPEED_LAYER_GROUP_ID: z.string().min(1).default('aggregator-speed-layer'),
  SPEED_WINDOW_MS: envInteger({ min: 1_000, default: MINUTE_MS }),
  SPEED_ALLOWED_LATENESS_MS: envInteger({ min: 0, default: 5 * MINUTE_MS }),
  SPEED_RETENTION_MS: envInteger({ min: 1, default: 120 * MINUTE_MS }),
  /** How often closed windows are published and the too-late outbox drained. */
  SPEED_CLOSER_INTERVAL_MS: envInteger({ min: 100, default: 5_000 }),
  /** Wait past the lateness before closing: covers clock skew between replicas. */
  SPEED_CLOSER_GRACE_MS: envInteger({ min: 0, default: 5_000 }),
  /** A claimed but unacknowledged window (crashed closer) is offered again after this. */
  SPEED_CLOSER_LEASE_MS: envInteger({ min: 1_000, default: MINUTE_MS }),
  TOPIC_TELEMETRY_CLEAN: z.string().min(1).default(Topics.telemetryClean),
  TOPIC_TELEMETRY_DLQ: z.string().min(1).default(Topics.telemetryDlq),
  TOPIC_AGGREGATES_1M: z.string().min(1).default(Topics.aggregates1m),
});

export type AggregatorConfig = z.output<typeof aggregatorEnvSchema>;

export const AGGREGATOR_CONFIG = Symbol('AGGREGATOR_CONFIG');
