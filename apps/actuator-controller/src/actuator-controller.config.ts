import {
  databaseEnv,
  envBoolean,
  envInteger,
  envUrl,
  httpEnv,
  logEnv,
  redisEnv,
  shutdownEnv,
} from '@sluice/config';
import { z } from 'zod';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

/** Environment of the actuator-controller (Kafka variables are read by KafkaModule). */
export const actuatorControllerEnvSchema = z.object({
  ...httpEnv(8083),
  ...logEnv,
  ...shutdownEnv,
  ...databaseEnv,
  ...redisEnv,
  /** Schema of the program/command tables and readings (default: search_path, i.e. public). */
  DATABASE_SCHEMA: z.string().optional(),
  GRPC_PORT: envInteger({ min: 0, max: 65535, default: 9183 }),
  /** Consumer group of program evaluation on telemetry.clean.v1 (partitioned by device). */
  EVALUATION_GROUP_ID: z.string().min(1).default('actuator-controller'),
  /**
   * Partitions evaluated at once. kafkajs fetches again only once every batch of a fetch is done,
   * so with fewer than the partitions a replica holds (6 by default) batches wait for each other's
   * database and Kafka round trips: at 5k readings/s, 2 gave a p99 reading → command of 661 ms,
   * 6 gave 175 ms (programs bench, BENCH_INPUT=clean).
   */
  EVALUATION_CONCURRENCY: envInteger({ min: 1, max: 64, default: 6 }),
  /** Consumer group reading acknowledgements and state reports from actuator.events.v1. */
  EVENTS_GROUP_ID: z.string().min(1).default('actuator-controller-events'),
  /** How often the enabled programs are re-read from PostgreSQL (changes by other replicas). */
  PROGRAMS_REFRESH_MS: envInteger({ min: 100, default: 2 * SECOND_MS }),
  /** Timer tick for programs whose verdict time alone can change (`for`, schedules, windows). */
  PROGRAM_TICK_MS: envInteger({ min: 50, default: SECOND_MS }),
  /** A sent command not acknowledged within this is re-sent (backoff doubles per attempt). */
  COMMAND_ACK_TIMEOUT_MS: envInteger({ min: 100, default: 5 * SECOND_MS }),
  /** Sends per command before it is `failed` and an actuator_unacknowledged alert is raised. */
  COMMAND_MAX_ATTEMPTS: envInteger({ min: 1, max: 100, default: 4 }),
  /** A command not acknowledged this long after it was issued is `expired` (never applied late). */
  COMMAND_TTL_MS: envInteger({ min: 1000, default: 2 * MINUTE_MS }),
  // --- retention of the command tables (retention/) ---
  /** How often a replica runs a retention pass (and once at start); 0 disables retention. */
  COMMAND_RETENTION_INTERVAL_MS: envInteger({ min: 0, default: 60 * MINUTE_MS }).refine(
    (value) => value === 0 || value >= SECOND_MS,
    { error: `must be 0 (retention off) or >= ${SECOND_MS} ms` },
  ),
  /**
   * Final commands (acknowledged, failed, expired, rejected) with their events, and conflicts, are
   * kept this many days after they were issued/recorded. Pending and sent commands are never deleted.
   */
  COMMAND_RETENTION_DAYS: envInteger({ min: 1, default: 90 }),
  /** Rows deleted per statement: short locks and bounded WAL bursts however big the backlog. */
  COMMAND_RETENTION_BATCH_ROWS: envInteger({ min: 1, max: 100_000, default: 5_000 }),
  /** Outbox sweep: pending rows a crash left behind, ack timeouts, deferred (dwell) commands. */
  OUTBOX_POLL_MS: envInteger({ min: 20, default: 250 }),
  /** Safety: most commands sent to one actuator per minute; more are `rejected` (rate_limited). */
  SAFETY_MAX_COMMANDS_PER_MINUTE: envInteger({ min: 1, default: 30 }),
  /** Safety: minimum time between two commands to one actuator; a sooner one waits (deferred). */
  SAFETY_MIN_DWELL_MS: envInteger({ min: 0, default: 0 }),
  /** How long a manual command holds the actuator against programs (default; per command too). */
  OVERRIDE_HOLD_MS: envInteger({ min: 0, default: 15 * MINUTE_MS }),
  /** MQTT broker for `sluice/{tenant}/{actuator}/commands` and `.../acks`; unset = no MQTT. */
  MQTT_URL: envUrl(['mqtt', 'mqtts', 'tcp', 'ws', 'wss']).optional(),
  /** Seed thermostat programs for the simulator's demo rooms at start (idempotent). */
  SEED_DEMO: envBoolean(false),
  SEED_DEMO_DEVICES: envInteger({ min: 0, max: 10_000, default: 20 }),
});

export type ActuatorControllerConfig = z.output<typeof actuatorControllerEnvSchema>;

export const ACTUATOR_CONTROLLER_CONFIG = Symbol('ACTUATOR_CONTROLLER_CONFIG');
