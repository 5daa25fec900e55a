import {
  databaseEnv,
  envBoolean,
  envInteger,
  httpEnv,
  logEnv,
  redisEnv,
  shutdownEnv,
} from '@sluice/config';
import { alertRulesEnv } from '@sluice/alerting';
import { Topics } from '@sluice/contracts';
import { assertTimeZone, zoneHasWholeHourOffsets } from '@sluice/rollups';
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
  // --- batch and serving layers (issue 4) ---
  /** gRPC ServingService (QuerySeries, Energy, ListRuns, Backfill). */
  GRPC_PORT: envInteger({ min: 0, max: 65_535, default: 9182 }),
  /** Run the scheduler in this replica (it still only runs jobs while holding the lock). */
  BATCH_ENABLED: envBoolean(true),
  BATCH_TICK_INTERVAL_MS: envInteger({ min: 100, default: 30_000 }),
  /** The hourly job for an hour runs this long after it ends: late readings within it cost nothing. */
  BATCH_BUFFER_MS: envInteger({ min: 0, default: 5 * MINUTE_MS }),
  /** Daily buckets start at local midnight here; zones with :30/:45 offsets are refused. */
  BATCH_TIME_ZONE: z
    .string()
    .default('UTC')
    .refine(
      (zone) => {
        try {
          assertTimeZone(zone);
        } catch {
          return false;
        }
        const now = Date.now();
        return zoneHasWholeHourOffsets(zone, now - 366 * 86_400_000, now + 366 * 86_400_000);
      },
      { message: 'must be an IANA time zone whose UTC offsets are whole hours' },
    ),
  /** A fresh database starts rolling up this far back (older history: `npm run backfill`). */
  BATCH_INITIAL_LOOKBACK_MS: envInteger({ min: 0, default: 24 * 60 * MINUTE_MS }),
  BATCH_MAX_RUNS_PER_TICK: envInteger({ min: 1, default: 48 }),
  BATCH_DIRTY_BATCH_SIZE: envInteger({ min: 1, default: 5_000 }),
  BATCH_RETRY_BASE_MS: envInteger({ min: 0, default: 30_000 }),
  BATCH_RETRY_MAX_MS: envInteger({ min: 0, default: 30 * MINUTE_MS }),
  /** Readings older than this (by reading time, at storage) go to the DLQ as too_late, unstored. */
  BATCH_MAX_LATENESS_MS: envInteger({ min: MINUTE_MS, default: 7 * 24 * 60 * MINUTE_MS }),
  ENERGY_METHOD: z.enum(['trapezoid', 'left']).default('trapezoid'),
  /** Readings of a power series further apart than this are a gap (no energy); at most 1 h. */
  ENERGY_MAX_GAP_MS: envInteger({ min: 1_000, max: 60 * MINUTE_MS, default: 15 * MINUTE_MS }),
  /** Retention (0 = keep forever): raw readings, hourly and daily rollups, in days. */
  RETENTION_RAW_DAYS: envInteger({ min: 0, default: 90 }),
  RETENTION_ROLLUPS_1H_DAYS: envInteger({ min: 0, default: 730 }),
  RETENTION_ROLLUPS_1D_DAYS: envInteger({ min: 0, default: 0 }),
  RETENTION_INTERVAL_MS: envInteger({ min: 1_000, default: 60 * MINUTE_MS }),
  /** Plain PostgreSQL: rows deleted per statement (short locks, bounded WAL bursts). */
  RETENTION_BATCH_ROWS: envInteger({ min: 1, default: 50_000 }),
  // --- device silence detection (issue 7) ---
  /** The `silence` detector of the alert rules (libs/alerting) turns silence detection on. */
  ...alertRulesEnv,
  SILENCE_CHECK_INTERVAL_MS: envInteger({ min: 100, default: 10_000 }),
  SILENCE_GROUP_ID: z.string().min(1).default('aggregator-silence'),
  TOPIC_ALERTS: z.string().min(1).default(Topics.alerts),
});

export type AggregatorConfig = z.output<typeof aggregatorEnvSchema>;

export const AGGREGATOR_CONFIG = Symbol('AGGREGATOR_CONFIG');
