import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName, waitFor } from '@sluice/testing';
import type { Pool } from 'pg';
import { DATABASE_URL, NotifierTestBed } from '../testing/test-notifier';
import { retentionMetrics } from './retention.metrics';
import { RetentionRepository } from './retention.repository';
import {
  RetentionService,
  type RetentionOutcome,
  type RetentionSettings,
} from './retention.service';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const MINUTE = 60_000;
const now = Date.parse('2026-06-01T00:00:00Z');
const SETTINGS: RetentionSettings = {
  incidentsDays: 90,
  deliveriesDays: 30,
  seenEventsDays: 7,
  silencesDays: 90,
  cooldownMs: 10 * MINUTE,
  // small batches: every table needs several statements, as a big backlog would
  batchRows: 2,
};

const ago = (days: number): Date => new Date(now - days * DAY);

/** Old and new rows of every kind; names say what retention must do with them. */
async function seed(pool: Pool): Promise<void> {
  const incident = (
    id: string,
    status: string,
    openedDaysAgo: number,
    resolvedDaysAgo: number | null,
  ): Promise<unknown> =>
    pool.query(
      `INSERT INTO alert_incidents (id, tenant, dedupe_key, kind, severity, status, message,
         opened_at, last_firing_at, resolved_at)
       VALUES ($1, 'acme', $1, 'threshold', 'critical', $2, 'too hot', $3, $3, $4)`,
      [id, status, ago(openedDaysAgo), resolvedDaysAgo === null ? null : ago(resolvedDaysAgo)],
    );
  const history = (incidentId: string, entries: number, daysAgo: number): Promise<unknown> =>
    pool.query(
      `INSERT INTO alert_incident_history (incident_id, at, type)
       SELECT $1, $2, 'notified' FROM generate_series(1, $3)`,
      [incidentId, ago(daysAgo), entries],
    );
  const delivery = (
    key: string,
    incidentId: string | null,
    status: 'pending' | 'delivered' | 'dead',
    times: { created: number; nextAttempt?: number; delivered?: number },
  ): Promise<unknown> =>
    pool.query(
      `INSERT INTO alert_deliveries (idempotency_key, tenant, incident_id, channel_type, notification,
         payload, status, created_at, next_attempt_at, delivered_at)
       VALUES ($1, 'acme', $2, 'websocket', 'opened', '{}', $3, $4, $5, $6)`,
      [
        key,
        incidentId,
        status,
        ago(times.created),
        ago(times.nextAttempt ?? times.created),
        times.delivered === undefined ? null : ago(times.delivered),
      ],
    );

  await incident('resolved-100d', 'resolved', 120, 100);
  await history('resolved-100d', 3, 110);
  await delivery('resolved-100d:1:in-app', 'resolved-100d', 'delivered', {
    created: 110,
    delivered: 110,
  });
  // re-sent and delivered recently: goes anyway, with its incident
  await delivery('resolved-100d:2:in-app', 'resolved-100d', 'delivered', {
    created: 100,
    delivered: 5,
  });
  await delivery('resolved-100d:2:hook', 'resolved-100d', 'dead', { created: 100 });

  await incident('resolved-100d-pending', 'resolved', 120, 100);
  await history('resolved-100d-pending', 2, 110);
  await delivery('resolved-100d-pending:1:in-app', 'resolved-100d-pending', 'delivered', {
    created: 100,
    delivered: 100,
  });
  await delivery('resolved-100d-pending:2:hook', 'resolved-100d-pending', 'pending', {
    created: 100,
    nextAttempt: 0,
  });

  // a pending delivery left as the only row of an expired incident: the cascade must not take it
  await incident('resolved-100d-only-pending', 'resolved', 120, 100);
  await delivery('resolved-100d-only-pending:1:hook', 'resolved-100d-only-pending', 'pending', {
    created: 100,
  });

  await incident('resolved-10d', 'resolved', 50, 10);
  await history('resolved-10d', 2, 50);
  await delivery('resolved-10d:1:in-app', 'resolved-10d', 'delivered', {
    created: 50,
    delivered: 50,
  });
  await delivery('resolved-10d:1:hook', 'resolved-10d', 'dead', { created: 50, nextAttempt: 45 });
  await delivery('resolved-10d:2:in-app', 'resolved-10d', 'delivered', {
    created: 40,
    delivered: 1,
  });
  await delivery('resolved-10d:3:in-app', 'resolved-10d', 'delivered', {
    created: 10,
    delivered: 10,
  });

  await incident('firing-200d', 'firing', 200, null);
  await history('firing-200d', 2, 200);
  await delivery('firing-200d:1:in-app', 'firing-200d', 'delivered', {
    created: 200,
    delivered: 200,
  });
  await delivery('firing-200d:2:hook', 'firing-200d', 'pending', { created: 100, nextAttempt: 0 });

  await incident('acknowledged-200d', 'acknowledged', 200, null);
  await history('acknowledged-200d', 1, 200);

  // test notifications belong to no incident
  await delivery('test:delivered-40d', null, 'delivered', { created: 40, delivered: 40 });
  await delivery('test:pending-40d', null, 'pending', { created: 40 });
  await delivery('test:dead-1d', null, 'dead', { created: 1 });

  await pool.query(
    `INSERT INTO alert_events_seen (event_id, received_at) VALUES
       ('seen-8d', $1), ('seen-6d', $2), ('seen-now', $3)`,
    [ago(8), ago(6), ago(0)],
  );
  await pool.query(
    `INSERT INTO alert_dedupe_keys (dedupe_key, last_opened_notification_at) VALUES
       ('key-2d', $1), ('key-3h', $2), ('key-5min', $3)`,
    [ago(2), new Date(now - 180 * MINUTE), new Date(now - 5 * MINUTE)],
  );
  await pool.query(
    `INSERT INTO alert_silences (id, tenant, starts_at, ends_at, reason, created_by) VALUES
       ('sil-ended-100d', 'acme', $1, $2, 'maintenance', 'bob'),
       ('sil-ended-10d', 'acme', $3, $4, 'maintenance', 'bob'),
       ('sil-active', 'acme', $5, $6, 'decommissioning', 'bob')`,
    [ago(101), ago(100), ago(11), ago(10), ago(200), ago(-1)],
  );
}

const EXPIRED: RetentionOutcome = {
  alert_deliveries: 8,
  alert_incident_history: 3,
  alert_incidents: 1,
  alert_events_seen: 1,
  alert_dedupe_keys: 1,
  alert_silences: 1,
};

const NOTHING: RetentionOutcome = {
  alert_deliveries: 0,
  alert_incident_history: 0,
  alert_incidents: 0,
  alert_events_seen: 0,
  alert_dedupe_keys: 0,
  alert_silences: 0,
};

async function seenEventsDeleted(): Promise<number> {
  const { values } = await retentionMetrics.rowsDeleted.get();
  return values.find((value) => value.labels.table === 'alert_events_seen')?.value ?? 0;
}

async function column(pool: Pool, sql: string): Promise<string[]> {
  return (await pool.query<{ v: string }>(sql)).rows.map((row) => row.v);
}

async function expectOnlyNeededRowsLeft(pool: Pool): Promise<void> {
  expect(await column(pool, 'SELECT id AS v FROM alert_incidents ORDER BY id')).toEqual([
    'acknowledged-200d',
    'firing-200d',
    'resolved-100d-only-pending',
    'resolved-100d-pending',
    'resolved-10d',
  ]);
  expect(
    await column(
      pool,
      `SELECT incident_id || ' x' || count(*) AS v FROM alert_incident_history
        GROUP BY incident_id ORDER BY incident_id`,
    ),
  ).toEqual([
    'acknowledged-200d x1',
    'firing-200d x2',
    'resolved-100d-pending x2',
    'resolved-10d x2',
  ]);
  expect(
    await column(
      pool,
      'SELECT idempotency_key AS v FROM alert_deliveries ORDER BY idempotency_key',
    ),
  ).toEqual([
    'firing-200d:2:hook',
    'resolved-100d-only-pending:1:hook',
    'resolved-100d-pending:2:hook',
    'resolved-10d:2:in-app',
    'resolved-10d:3:in-app',
    'test:dead-1d',
    'test:pending-40d',
  ]);
  expect(await column(pool, 'SELECT event_id AS v FROM alert_events_seen ORDER BY 1')).toEqual([
    'seen-6d',
    'seen-now',
  ]);
  expect(await column(pool, 'SELECT dedupe_key AS v FROM alert_dedupe_keys ORDER BY 1')).toEqual([
    'key-3h',
    'key-5min',
  ]);
  expect(await column(pool, 'SELECT id AS v FROM alert_silences ORDER BY 1')).toEqual([
    'sil-active',
    'sil-ended-10d',
  ]);
}

describe('retention of the alert tables', () => {
  const schema = uniqueName('test_alert_retention');
  let pool: Pool;

  beforeAll(async () => {
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
  });

  beforeEach(async () => {
    await pool.query(
      `TRUNCATE alert_deliveries, alert_incident_history, alert_incidents, alert_events_seen,
         alert_dedupe_keys, alert_silences`,
    );
    await seed(pool);
  });

  afterAll(async () => {
    await dropTestSchema(pool, schema);
    await pool.end();
  });

  it('deletes exactly what expired, never more than a batch per statement, and nothing on the next pass', async () => {
    const repository = new RetentionRepository(pool);
    const perStatement: number[] = [];
    for (const method of [
      'deleteFinishedDeliveries',
      'deleteHistoryOfExpiredIncidents',
      'deleteExpiredIncidents',
      'deleteSeenEvents',
      'deleteDedupeKeys',
      'deleteEndedSilences',
    ] as const) {
      const original = repository[method].bind(repository) as (
        ...args: unknown[]
      ) => Promise<number>;
      jest.spyOn(repository, method).mockImplementation(async (...args: unknown[]) => {
        const deleted = await original(...args);
        perStatement.push(deleted);
        return deleted;
      });
    }
    const retention = new RetentionService(repository, SETTINGS, () => now);

    expect(await retention.deleteExpired()).toEqual(EXPIRED);
    await expectOnlyNeededRowsLeft(pool);
    expect(Math.max(...perStatement)).toBe(SETTINGS.batchRows);

    expect(await retention.deleteExpired()).toEqual(NOTHING);
    await expectOnlyNeededRowsLeft(pool);
  });

  it('keeps a table forever when its days are 0', async () => {
    const retention = new RetentionService(
      new RetentionRepository(pool),
      { ...SETTINGS, incidentsDays: 0, deliveriesDays: 0, silencesDays: 0 },
      () => now,
    );

    expect(await retention.deleteExpired()).toEqual({
      ...NOTHING,
      alert_events_seen: 1,
      alert_dedupe_keys: 1,
    });
    expect((await pool.query('SELECT count(*)::int AS n FROM alert_deliveries')).rows[0].n).toBe(
      15,
    );
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
    await expectOnlyNeededRowsLeft(pool);
  });

  it('stops between statements once shutdown aborts the pass', async () => {
    const shutdown = new AbortController();
    shutdown.abort(new Error('shutting down'));
    const retention = new RetentionService(new RetentionRepository(pool), SETTINGS, () => now);

    await expect(retention.deleteExpired(shutdown.signal)).rejects.toThrow('shutting down');
    expect((await pool.query('SELECT count(*)::int AS n FROM alert_events_seen')).rows[0].n).toBe(
      3,
    );
  });
});

describe('retention in the running notifier', () => {
  const bed = new NotifierTestBed();
  let app: NestFastifyApplication | undefined;

  beforeAll(() => bed.start());

  afterAll(async () => {
    await app?.close();
    await bed.stop();
  });

  it('runs a pass at start, records it in its metrics, and shuts down cleanly', async () => {
    await bed.pool.query(
      `INSERT INTO alert_events_seen (event_id, received_at) VALUES
         ('seen-8d', now() - interval '8 days'), ('seen-6d', now() - interval '6 days')`,
    );
    // the passes above ran in this process with a clock of their own
    retentionMetrics.lastSuccess.reset();
    const deletedBefore = await seenEventsDeleted();

    ({ app } = await bed.startInProcess());

    await waitFor(
      async () =>
        (await column(bed.pool, 'SELECT event_id AS v FROM alert_events_seen')).join() ===
        'seen-6d',
      { message: 'the alert id older than 7 days forgotten' },
    );
    await waitFor(
      async () => ((await retentionMetrics.lastSuccess.get()).values[0]?.value ?? 0) > 0,
      { message: 'the successful pass recorded' },
    );
    expect((await retentionMetrics.lastSuccess.get()).values[0].value).toBeLessThanOrEqual(
      Date.now() / 1000,
    );
    expect((await seenEventsDeleted()) - deletedBefore).toBe(1);

    await app.close();
    app = undefined;
  });
});
