import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import type { Pool } from 'pg';
import {
  actuatorControllerEnvSchema,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { retentionMetrics } from './retention.metrics';
import { RetentionModule } from './retention.module';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from '@sluice/service-runtime';
import {
  RetentionService,
  type RetentionOutcome,
  type RetentionSettings,
} from './retention.service';

jest.setTimeout(60_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DAY = 86_400_000;
const now = Date.parse('2026-06-01T00:00:00Z');
// small batches: every table needs several statements, as a big backlog would
const SETTINGS: RetentionSettings = { days: 90, batchRows: 2 };

const ago = (days: number): Date => new Date(now - days * DAY);

/** Old and new rows of every kind; names say what retention must do with them. */
async function seed(pool: Pool): Promise<void> {
  const command = async (id: string, status: string, daysAgo: number): Promise<void> => {
    await pool.query(
      `INSERT INTO commands (id, idempotency_key, tenant, actuator, action, params, issuer_kind,
         issuer_id, reason, status, created_at, next_attempt_at, expires_at)
       VALUES ($1, $1, 'acme', 'valve-1', 'set_state', '{}', 'program', 'thermostat', 'too hot',
         $2, $3, $3, $3::timestamptz + interval '2 minutes')`,
      [id, status, ago(daysAgo)],
    );
    await pool.query(
      `INSERT INTO command_events (command_id, kind, at)
       SELECT $1, kind, $2 FROM unnest(ARRAY['created', 'sent', 'done']) AS kind`,
      [id, ago(daysAgo)],
    );
  };
  for (const status of ['acknowledged', 'failed', 'expired', 'rejected']) {
    await command(`${status}-100d`, status, 100);
    await command(`${status}-10d`, status, 10);
  }
  // the outbox is never retention's business, however old
  await command('pending-200d', 'pending', 200);
  await command('sent-200d', 'sent', 200);
  await command('pending-1d', 'pending', 1);

  await pool.query(
    `INSERT INTO conflicts (tenant, actuator, winner_kind, winner_id, winner_command, loser_program,
       loser_priority, loser_command, rule, at)
     SELECT 'acme', 'valve-1', 'program', 'winner', '{}', loser, 1, '{}', 'priority', at
       FROM (VALUES ('loser-100d', $1::timestamptz), ('loser-95d', $2), ('loser-91d', $3),
                    ('loser-89d', $4), ('loser-now', $5)) AS c(loser, at)`,
    [ago(100), ago(95), ago(91), ago(89), ago(0)],
  );
}

const EXPIRED: RetentionOutcome = { command_events: 12, commands: 4, conflicts: 3 };
const NOTHING: RetentionOutcome = { command_events: 0, commands: 0, conflicts: 0 };

async function column(pool: Pool, sql: string): Promise<string[]> {
  return (await pool.query<{ v: string }>(sql)).rows.map((row) => row.v);
}

async function expectOnlyRetainedRowsLeft(pool: Pool): Promise<void> {
  const kept = [
    'acknowledged-10d',
    'expired-10d',
    'failed-10d',
    'pending-1d',
    'pending-200d',
    'rejected-10d',
    'sent-200d',
  ];
  expect(await column(pool, 'SELECT id AS v FROM commands ORDER BY id')).toEqual(kept);
  expect(
    await column(
      pool,
      `SELECT command_id || ' x' || count(*) AS v FROM command_events
        GROUP BY command_id ORDER BY command_id`,
    ),
  ).toEqual(kept.map((id) => `${id} x3`));
  expect(await column(pool, 'SELECT loser_program AS v FROM conflicts ORDER BY 1')).toEqual([
    'loser-89d',
    'loser-now',
  ]);
}

async function deletedFrom(table: string): Promise<number> {
  const { values } = await retentionMetrics.rowsDeleted.get();
  return values.find((value) => value.labels.table === table)?.value ?? 0;
}

describe('retention of the command tables', () => {
  const schema = uniqueName('test_command_retention');
  let pool: Pool;

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
  });

  beforeEach(async () => {
    await pool.query('TRUNCATE command_events, commands, conflicts');
    await seed(pool);
  });

  afterAll(async () => {
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  it('deletes old final commands with their events and old conflicts, a batch at most per statement, and nothing on the next pass', async () => {
    const repository = new RetentionRepository(pool);
    const perStatement: number[] = [];
    for (const method of [
      'deleteEventsOfExpiredCommands',
      'deleteExpiredCommands',
      'deleteConflicts',
    ] as const) {
      const original = repository[method].bind(repository);
      jest.spyOn(repository, method).mockImplementation(async (cutoff, limit) => {
        const deleted = await original(cutoff, limit);
        perStatement.push(deleted);
        return deleted;
      });
    }
    const retention = new RetentionService(repository, SETTINGS, () => now);
    const eventsDeletedBefore = await deletedFrom('command_events');
    retentionMetrics.lastSuccess.reset();

    expect(await retention.deleteExpired()).toEqual(EXPIRED);
    await expectOnlyRetainedRowsLeft(pool);
    expect(Math.max(...perStatement)).toBe(SETTINGS.batchRows);
    expect((await deletedFrom('command_events')) - eventsDeletedBefore).toBe(12);
    expect((await retentionMetrics.lastSuccess.get()).values[0]?.value).toBe(now / 1000);

    expect(await retention.deleteExpired()).toEqual(NOTHING);
    await expectOnlyRetainedRowsLeft(pool);
  });

  it('deletes nothing when nothing is past the horizon', async () => {
    const retention = new RetentionService(
      new RetentionRepository(pool),
      { ...SETTINGS, days: 365 },
      () => now,
    );

    expect(await retention.deleteExpired()).toEqual(NOTHING);
    expect((await pool.query('SELECT count(*)::int AS n FROM commands')).rows[0].n).toBe(11);
    expect((await pool.query('SELECT count(*)::int AS n FROM command_events')).rows[0].n).toBe(33);
    expect((await pool.query('SELECT count(*)::int AS n FROM conflicts')).rows[0].n).toBe(5);
  });

  it('shares the work between replicas running a pass at the same time', async () => {
    const replicas = [1, 2].map(
      () => new RetentionService(new RetentionRepository(pool), SETTINGS, () => now),
    );

    const outcomes = await Promise.all(replicas.map((replica) => replica.deleteExpired()));

    const total = { ...NOTHING };
    for (const outcome of outcomes)
      for (const table of Object.keys(total) as Array<keyof RetentionOutcome>)
        total[table] += outcome[table];
    expect(total).toEqual(EXPIRED);
    await expectOnlyRetainedRowsLeft(pool);
  });

  it('stops between statements once shutdown aborts the pass', async () => {
    const shutdown = new AbortController();
    shutdown.abort(new Error('shutting down'));
    const retention = new RetentionService(new RetentionRepository(pool), SETTINGS, () => now);

    await expect(retention.deleteExpired(shutdown.signal)).rejects.toThrow('shutting down');
    expect((await pool.query('SELECT count(*)::int AS n FROM commands')).rows[0].n).toBe(11);
  });
});

describe('retention configuration', () => {
  const configWith = (env: Record<string, string>): ActuatorControllerConfig =>
    actuatorControllerEnvSchema.parse({ DATABASE_URL, ...env });

  it('runs hourly and keeps 90 days by default', () => {
    const config = configWith({});
    expect(config.COMMAND_RETENTION_INTERVAL_MS).toBe(3_600_000);
    expect(config.COMMAND_RETENTION_DAYS).toBe(90);
  });

  it('registers no scheduler when the interval is 0', () => {
    const providersOf = (env: Record<string, string>): unknown[] =>
      RetentionModule.register(configWith(env)).providers ?? [];
    const schedules = (providers: unknown[]): boolean =>
      providers.some(
        (provider) =>
          typeof provider === 'object' &&
          provider !== null &&
          'provide' in provider &&
          provider.provide === RetentionScheduler,
      );

    expect(schedules(providersOf({}))).toBe(true);
    expect(schedules(providersOf({ COMMAND_RETENTION_INTERVAL_MS: '0' }))).toBe(false);
  });

  it('refuses an interval below a second and a horizon of 0 days, naming the rule', () => {
    expect(() => configWith({ COMMAND_RETENTION_INTERVAL_MS: '500' })).toThrow(
      'must be 0 (retention off) or >= 1000 ms',
    );
    expect(() => configWith({ COMMAND_RETENTION_DAYS: '0' })).toThrow('must be >= 1');
  });
});
