import { createPgPool, runMigrations } from '@sluice/db';
import {
  dropTestSchema,
  spawnService,
  startTestBroker,
  uniqueName,
  waitFor,
  type SpawnedService,
  type TestBroker,
} from '@sluice/testing';
import type { Pool, PoolClient } from 'pg';

// Two aggregator processes, a broker and a SIGKILL: tens of seconds on a loaded machine.
jest.setTimeout(180_000);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BUFFER_MS = 5 * 60_000;

interface RunRow {
  id: string;
  runner: string;
  status: string;
  from_ms: number;
  started_ms: number;
  finished_ms: number | null;
}

/**
 * Acceptance 4 (issue 4): with two aggregator replicas, every hourly range is computed by exactly
 * one of them, one at a time (the advisory lock); the runner SIGKILLed in the middle of a run
 * loses the lock with its connection, and the other replica re-runs that range completely.
 */
describe('batch layer with two aggregator replicas', () => {
  const schema = uniqueName('test_batch_crash');
  let broker: TestBroker;
  let pool: Pool;
  let blocker: PoolClient | undefined;
  const replicas: SpawnedService[] = [];
  // the watermark starts at yesterday 00:00 UTC; readings fill its first six hours
  const start = Math.floor((Date.now() - DAY) / DAY) * DAY;
  const blockedHour = start + 3 * HOUR;

  beforeAll(async () => {
    broker = await startTestBroker();
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, schema, max: 4 });
    // 6 hours x 4 devices x 2 metrics, one reading every 2 s
    await pool.query(
      `INSERT INTO readings (tenant, device, metric, time, value)
       SELECT 'acme', 'dev-' || d, m, to_timestamp($1::float8 / 1000) + s * interval '2 seconds',
              sin(s / 50.0) * 100 + d
         FROM generate_series(0, 6 * 1800 - 1) s, generate_series(1, 4) d,
              unnest(ARRAY['temperature', 'power']) m`,
      [start],
    );
    await pool.query(`DELETE FROM dirty_buckets`);
  });

  afterAll(async () => {
    await blocker?.query('ROLLBACK').catch(() => undefined);
    blocker?.release();
    for (const replica of replicas) await replica.stop();
    await dropTestSchema(pool, schema);
    await pool.end();
    await broker?.stop();
  });

  const runs = async (): Promise<RunRow[]> =>
    (
      await pool.query<RunRow>(
        `SELECT id, runner, status, extract(epoch FROM range_from) * 1000 AS from_ms,
                extract(epoch FROM started_at) * 1000 AS started_ms,
                extract(epoch FROM finished_at) * 1000 AS finished_ms
           FROM batch_runs WHERE job = 'hourly' ORDER BY id`,
      )
    ).rows.map((row) => ({
      ...row,
      from_ms: Number(row.from_ms),
      started_ms: Number(row.started_ms),
      finished_ms: row.finished_ms === null ? null : Number(row.finished_ms),
    }));

  it('computes each range once, one runner at a time, and re-runs the range of a killed runner', async () => {
    // An uncommitted rollup row for the blocked hour: the runner's upsert waits on it, i.e. the
    // run is caught in the middle (rows read, nothing committed) until the test lets go.
    blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO rollups_1h (tenant, device, metric, bucket, count, sum, min, max, first, first_time,
                               last, last_time, sum_squares)
       VALUES ('acme', 'dev-1', 'power', to_timestamp($1::float8 / 1000), 1, 0, 0, 0, 0, now(), 0, now(), 0)`,
      [blockedHour],
    );

    const env = {
      KAFKA_BROKERS: broker.brokers.join(','),
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${uniqueName('crash')}:`,
      PORT: '0',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
      RAW_SINK_GROUP_ID: uniqueName('raw_sink'),
      SPEED_LAYER_GROUP_ID: uniqueName('speed'),
      TOPIC_TELEMETRY_CLEAN: uniqueName('clean'),
      TOPIC_TELEMETRY_DLQ: uniqueName('dlq'),
      TOPIC_AGGREGATES_1M: uniqueName('agg'),
      BATCH_TICK_INTERVAL_MS: '200',
      BATCH_BUFFER_MS: String(BUFFER_MS),
      BATCH_INITIAL_LOOKBACK_MS: String(DAY),
    };
    replicas.push(spawnService('apps/aggregator/src/main.ts', env));
    replicas.push(spawnService('apps/aggregator/src/main.ts', env));

    const blocked = await waitFor(
      async () =>
        (await runs()).find((run) => run.from_ms === blockedHour && run.status === 'running'),
      { timeoutMs: 90_000, intervalMs: 100, message: 'a run of the blocked hour in progress' },
    );
    const victim = replicas.find((replica) => blocked.runner.endsWith(`:${replica.pid}`))!;
    const survivor = replicas.find((replica) => replica !== victim)!;
    expect(victim).toBeDefined();
    victim.kill('SIGKILL');
    await victim.waitForExit();
    await blocker.query('ROLLBACK');
    blocker.release();
    blocker = undefined;

    // Caught up: the watermark reached the last hour whose buffer has passed (recomputed on every
    // probe, as the clock may cross that point meanwhile) and no run is still in progress.
    await waitFor(
      async () => {
        const lastDueHourEnd = Math.floor((Date.now() - BUFFER_MS) / HOUR) * HOUR;
        const { rows } = await pool.query<{ ms: number }>(
          `SELECT extract(epoch FROM completed_until) * 1000 AS ms FROM batch_watermarks WHERE job = 'hourly'`,
        );
        return (
          rows.length > 0 &&
          Number(rows[0].ms) >= lastDueHourEnd &&
          (await runs()).every((run) => run.status !== 'running')
        );
      },
      { timeoutMs: 90_000, intervalMs: 200, message: 'the survivor to catch up' },
    );

    const all = await runs();
    const interrupted = all.filter((run) => run.status === 'interrupted');
    expect(interrupted.map((run) => [run.from_ms, run.runner])).toEqual([
      [blockedHour, blocked.runner],
    ]);
    // every range succeeded exactly once; the blocked one by the survivor
    const succeeded = all.filter((run) => run.status === 'succeeded');
    const ranges = succeeded.map((run) => run.from_ms);
    expect(new Set(ranges).size).toBe(ranges.length);
    expect(all.filter((run) => run.status === 'running' || run.status === 'failed')).toEqual([]);
    const rerun = succeeded.find((run) => run.from_ms === blockedHour)!;
    expect(rerun.runner.endsWith(`:${survivor.pid}`)).toBe(true);
    // one runner at a time: no two runs overlap in time
    const byStart = [...succeeded, ...interrupted].sort((a, b) => a.started_ms - b.started_ms);
    for (let i = 1; i < byStart.length; i += 1) {
      if (byStart[i - 1].finished_ms !== null && byStart[i - 1].status === 'succeeded') {
        expect(byStart[i].started_ms).toBeGreaterThanOrEqual(byStart[i - 1].finished_ms! - 1);
      }
    }

    // and the rollups are complete and correct: equal to a from-scratch aggregation of readings
    const { rows: diff } = await pool.query(
      `WITH expected AS (
         SELECT tenant, device, metric, date_trunc('hour', time, 'UTC') AS bucket, count(*) AS count,
                sum(value) AS sum, min(value) AS min, max(value) AS max
           FROM readings GROUP BY 1, 2, 3, 4)
       SELECT e.*, r.count AS got_count, r.sum AS got_sum FROM expected e
         FULL JOIN rollups_1h r USING (tenant, device, metric, bucket)
        WHERE r.count IS DISTINCT FROM e.count OR abs(r.sum - e.sum) > 1e-6
           OR r.min IS DISTINCT FROM e.min OR r.max IS DISTINCT FROM e.max`,
    );
    expect(diff).toEqual([]);
    expect((await pool.query(`SELECT count(*)::int AS n FROM rollups_1h`)).rows[0].n).toBe(
      6 * 4 * 2,
    );
  });
});
