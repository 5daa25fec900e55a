import { databaseEnv, envInteger, envUrl, httpEnv, logEnv, shutdownEnv } from '@sluice/config';
import { Topics } from '@sluice/contracts';
import { z } from 'zod';

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;

/** Environment of the notifier (Kafka variables are read by KafkaModule). */
export const notifierEnvSchema = z.object({
  ...httpEnv(8084),
  ...databaseEnv,
  ...logEnv,
  ...shutdownEnv,
  /** Schema of the alert tables (default: the database's search_path, i.e. public). */
  DATABASE_SCHEMA: z.string().optional(),
  /** gRPC port of `sluice.alerts.v1.AlertsService` (the gateway's incident APIs). */
  GRPC_PORT: envInteger({ min: 0, max: 65535, default: 9184 }),
  ALERTS_GROUP_ID: z.string().min(1).default('notifier'),
  TOPIC_ALERTS: z.string().min(1).default(Topics.alerts),
  TOPIC_NOTIFICATIONS: z.string().min(1).default(Topics.notifications),
  /** An incident resolves once its condition stayed clear this long (flapping stays one incident). */
  INCIDENT_CLEAR_MS: envInteger({ min: 0, default: 2 * MINUTE_MS }),
  /** An incident with no firing event for this long resolves; 0 = never. */
  INCIDENT_STALE_RESOLVE_MS: envInteger({ min: 0, default: 24 * 60 * MINUTE_MS }),
  /** Least time between two "opened" notifications of one dedupe key. */
  INCIDENT_COOLDOWN_MS: envInteger({ min: 0, default: 10 * MINUTE_MS }),
  /** Repeat notifications of unacknowledged incidents this often; 0 = never. */
  INCIDENT_RENOTIFY_MS: envInteger({ min: 0, default: 60 * MINUTE_MS }),
  /** Notify escalation channels after this long unacknowledged; 0 = never. */
  INCIDENT_ESCALATE_AFTER_MS: envInteger({ min: 0, default: 30 * MINUTE_MS }),
  /** How often incident timers (clear, cooldown, re-notify, escalation, silence expiry) are checked. */
  INCIDENT_TICK_MS: envInteger({ min: 50, default: 1_000 }),
  // --- retention of the alert tables (retention/) ---
  /** How often a replica runs a retention pass (and once at start). */
  ALERT_RETENTION_INTERVAL_MS: envInteger({ min: SECOND_MS, default: 60 * MINUTE_MS }),
  /** Rows deleted per statement: short locks and bounded WAL bursts however big the backlog. */
  ALERT_RETENTION_BATCH_ROWS: envInteger({ min: 1, max: 100_000, default: 5_000 }),
  /** Resolved incidents, with their history and deliveries, are kept this long; 0 = forever. */
  ALERT_RETENTION_INCIDENTS_DAYS: envInteger({ min: 0, default: 90 }),
  /** Delivered and dead deliveries are kept this long after their last activity; 0 = forever. */
  ALERT_RETENTION_DELIVERIES_DAYS: envInteger({ min: 0, default: 30 }),
  /**
   * Alert ids are remembered this long to drop redelivered alerts.v1 records. A record read again
   * after its id was forgotten is applied again (a new incident, new notifications), so this must
   * cover every way a record comes back: retried batches (seconds) and a consumer group replaying
   * the topic from its earliest offset — as far back as alerts.v1 keeps records (retention.ms,
   * 7 days by default). Never 0: forgetting at once would drop the idempotence of the intake.
   */
  ALERT_RETENTION_SEEN_EVENTS_DAYS: envInteger({ min: 1, default: 7 }),
  /** Silences that ended are kept this long (they explain unnotified incidents); 0 = forever. */
  ALERT_RETENTION_SILENCES_DAYS: envInteger({ min: 0, default: 90 }),
  /** Replaced by ALERT_RETENTION_SEEN_EVENTS_DAYS: refused so a longer window is not shortened silently. */
  ALERT_DEDUPE_RETENTION_MS: z
    .undefined({
      error:
        'was replaced by ALERT_RETENTION_SEEN_EVENTS_DAYS (whole days, >= 1): set that one and remove this one',
    })
    .optional(),
  /** How often the outbox is polled for due deliveries (new ones are also sent right away). */
  DELIVERY_POLL_MS: envInteger({ min: 10, default: 500 }),
  DELIVERY_BATCH_SIZE: envInteger({ min: 1, max: 10_000, default: 200 }),
  DELIVERY_CONCURRENCY: envInteger({ min: 1, max: 1_000, default: 16 }),
  /** A claimed delivery whose worker died is retried after this (must exceed DELIVERY_TIMEOUT_MS). */
  DELIVERY_LEASE_MS: envInteger({ min: 100, default: 60 * SECOND_MS }),
  DELIVERY_TIMEOUT_MS: envInteger({ min: 100, default: 10 * SECOND_MS }),
  DELIVERY_BACKOFF_BASE_MS: envInteger({ min: 1, default: SECOND_MS }),
  DELIVERY_BACKOFF_MAX_MS: envInteger({ min: 1, default: 5 * MINUTE_MS }),
  /** Attempts before a delivery goes to the dead-letter list. */
  DELIVERY_MAX_ATTEMPTS: envInteger({ min: 1, max: 100, default: 8 }),
  /** Tenant that receives pipeline-health alerts (consumer lag); unset = those alerts are off. */
  SYSTEM_ALERTS_TENANT: z.string().min(1).optional(),
  /** Records a watched consumer group may be behind before a `consumer_lag` alert; 0 = off. */
  LAG_ALERT_THRESHOLD: envInteger({ min: 0, default: 0 }),
  /** Watched groups as `group:topic` pairs, comma-separated (a group with two topics: two pairs). */
  LAG_ALERT_GROUPS: z
    .string()
    .regex(
      /^\s*[^\s:,]+:[^\s:,]+\s*(,\s*[^\s:,]+:[^\s:,]+\s*)*$/,
      'must be group:topic pairs, comma-separated',
    )
    .default(
      'stream-transformer:telemetry.raw.v1,aggregator-raw-sink:telemetry.clean.v1,aggregator-speed-layer:telemetry.clean.v1,actuator-controller:telemetry.clean.v1,notifier:alerts.v1',
    )
    .transform((value) => {
      const groups = new Map<string, string[]>();
      for (const pair of value.split(',')) {
        const [group, topic] = pair.trim().split(':');
        groups.set(group, [...(groups.get(group) ?? []), topic]);
      }
      return groups;
    }),
  LAG_ALERT_INTERVAL_MS: envInteger({ min: 100, default: 30_000 }),
  /** SMTP server of the email channel, e.g. smtp://user:pass@mail.example.com:587 (unset: email fails). */
  SMTP_URL: envUrl(['smtp', 'smtps']).optional(),
  SMTP_FROM: z.string().min(3).default('Sluice alerts <alerts@sluice.local>'),
});

export type NotifierConfig = z.output<typeof notifierEnvSchema>;

export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
