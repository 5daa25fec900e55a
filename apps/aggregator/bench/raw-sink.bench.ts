/**
 * Raw sink write cost: `node -r @swc-node/register apps/aggregator/bench/raw-sink.bench.ts`
 * (or `npm run bench -- raw-sink`). Writes BENCH_ROWS readings shaped like the pipeline bench's
 * (100 devices, 50 consecutive readings per record, times from now on) through the repository, on
 * the real PostgreSQL (DATABASE_URL) in a schema of its own, at the batch sizes the consumer sees,
 * and prints rows/s and the PostgreSQL backends' CPU per row (Linux /proc): PostgreSQL is the
 * pipeline's biggest CPU consumer, so its CPU per row is the figure to watch, more than rows/s.
 * Also: a replay of the same rows (all duplicates), late rows (an hour that is over: dirty marks),
 * two writers as the consumer runs them, and the COPY alternative the repository does not use.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPgPool, runMigrations } from '@sluice/db';
import { processCpuSeconds } from '@sluice/testing';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ReadingsRepository, type ReadingRow } from '../src/raw-sink/readings.repository';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOTAL = Number(process.env.BENCH_ROWS ?? 500_000);
const BATCH_SIZES = [1_000, 5_000, 20_000];
const DEVICES = 100;
const READINGS_PER_RECORD = 50;
const HOUR_MS = 3_600_000;

type Write = (rows: ReadingRow[]) => Promise<number>;

/** Rows [start, start + count) of a run whose first reading is at `t0`. */
function rowsFrom(start: number, count: number, t0: number): ReadingRow[] {
  const rows: ReadingRow[] = [];
  for (let i = start; i < start + count; i++) {
    const record = Math.floor(i / READINGS_PER_RECORD);
    const round = Math.floor(record / DEVICES);
    rows.push({
      tenant: 'bench',
      device: `dev-${record % DEVICES}`,
      metric: 'power',
      time: t0 + round * (READINGS_PER_RECORD + 1) + (i % READINGS_PER_RECORD),
      value: 100 + (i % 50),
      unit: 'W',
    });
  }
  return rows;
}

/** The PostgreSQL backends of the pool's connections (all open), to read their CPU time. */
async function backendsOf(pool: Pool, applicationName: string): Promise<number[]> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  return rows.map((row) => row.pid);
}

/**
 * CPU seconds the backends used since `before` (their CPU then): a connection the pool closed as
 * idle meanwhile counts as having used nothing more.
 */
function cpuSecondsSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, then] of before) total += (processCpuSeconds(pid) ?? then) - then;
  return total;
}

async function main(): Promise<void> {
  const schema = `bench_raw_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await runMigrations(url, { schema });
  // Two connections: the raw sink writes RAW_SINK_CONCURRENCY (default 2) partitions at once.
  const applicationName = schema;
  const pool = createPgPool({ url, schema, max: 2, applicationName });
  const repository = new ReadingsRepository(pool);
  const live = Date.now();
  // Well inside an hour that is over whatever the clocks say: every hour of these rows is dirty.
  const late = Math.floor(live / HOUR_MS) * HOUR_MS - 24 * HOUR_MS;

  /** Writes TOTAL rows from `t0` in batches through `writers` concurrent writers; prints a line. */
  const measure = async (
    label: string,
    write: Write,
    batchSize: number,
    t0: number,
    writers = 1,
  ): Promise<void> => {
    let next = 0;
    let inserted = 0;
    const writer = async (): Promise<void> => {
      while (next < TOTAL) {
        const offset = next;
        next += batchSize;
        const rows = rowsFrom(offset, Math.min(batchSize, TOTAL - offset), t0);
        const added = await write(rows); // before `+=`: it would read `inserted` before the await
        inserted += added;
      }
    };
    // Both connections open, so every backend the run uses is known before it starts.
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    for (const client of clients) client.release();
    const cpuBefore = new Map<number, number>();
    for (const pid of await backendsOf(pool, applicationName)) {
      cpuBefore.set(pid, processCpuSeconds(pid) ?? 0);
    }
    const started = performance.now();
    await Promise.all(Array.from({ length: writers }, writer));
    const seconds = (performance.now() - started) / 1000;
    const cpuMicrosPerRow = (cpuSecondsSince(cpuBefore) / TOTAL) * 1e6;
    const rowsPerSecond = Math.round(TOTAL / seconds).toLocaleString('en');
    console.log(
      `${label.padEnd(32)} batch ${String(batchSize).padStart(6)}: ` +
        `${rowsPerSecond.padStart(9)} rows/s, ` +
        `PostgreSQL ${cpuMicrosPerRow.toFixed(1).padStart(5)} µs CPU/row (${inserted} new)`,
    );
  };

  const unnest: Write = (rows) => repository.insertBatch(rows);
  const copy: Write = (rows) => insertWithCopy(pool, rows);
  try {
    for (const batchSize of BATCH_SIZES) {
      for (const [name, write] of [
        ['unnest INSERT', unnest],
        ['COPY + INSERT…SELECT', copy],
      ] as const) {
        await pool.query('TRUNCATE readings, dirty_buckets');
        await measure(`${name}, live`, write, batchSize, live);
        await measure(`${name}, replayed`, write, batchSize, live);
      }
      await pool.query('TRUNCATE readings, dirty_buckets');
      await measure('unnest INSERT, live, 2 writers', unnest, batchSize, live, 2);
    }
    await pool.query('TRUNCATE readings, dirty_buckets');
    await measure('unnest INSERT, late (dirty hours)', unnest, 5_000, late);
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}

/**
 * The alternative the repository does NOT use, kept here so the comparison can be rerun on other
 * hardware: COPY into a per-connection staging table, then one INSERT…SELECT…ON CONFLICT. It pays
 * every row twice (staging + table) and was not faster than unnest on this machine. Neither marks
 * dirty hours, so it is compared with live rows only.
 */
async function insertWithCopy(pool: Pool, rows: ReadingRow[]): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS readings_staging (
         tenant text, device text, metric text, t double precision, value double precision, unit text
       ) ON COMMIT DELETE ROWS`,
    );
    const lines = rows.map(
      (r) => `${r.tenant}\t${r.device}\t${r.metric}\t${r.time}\t${r.value}\t${r.unit ?? '\\N'}\n`,
    );
    await pipeline(
      Readable.from(lines),
      client.query(copyFrom('COPY readings_staging FROM STDIN')),
    );
    const result = await client.query(
      `INSERT INTO readings (tenant, device, metric, time, value, unit)
       SELECT tenant, device, metric, to_timestamp(t / 1000), value, unit FROM readings_staging
       ON CONFLICT DO NOTHING`,
    );
    await client.query('COMMIT');
    return result.rowCount ?? 0;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
