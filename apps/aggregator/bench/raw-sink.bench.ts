/**
 * Raw sink write throughput: `node -r @swc-node/register apps/aggregator/bench/raw-sink.bench.ts`
 * Compares the two bulk strategies (unnest multi-row INSERT vs COPY + INSERT…SELECT) on the real
 * PostgreSQL (DATABASE_URL), in a schema of its own, batch sizes as the consumer sees them.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPgPool, runMigrations } from '@sluice/db';
import type { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ReadingsRepository, type ReadingRow } from '../src/raw-sink/readings.repository';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOTAL = Number(process.env.BENCH_ROWS ?? 500_000);
const BATCH_SIZES = [1_000, 5_000, 20_000];

function rowsFrom(start: number, count: number): ReadingRow[] {
  const rows: ReadingRow[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = start; i < start + count; i++) {
    rows.push({
      tenant: 'bench',
      device: `dev-${i % 1000}`,
      metric: i % 2 === 0 ? 'temperature' : 'power',
      time: t0 + Math.floor(i / 1000) * 1000,
      value: Math.sin(i) * 100,
      unit: i % 2 === 0 ? '°C' : 'W',
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const schema = `bench_raw_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await runMigrations(url, { schema });
  const pool = createPgPool({ url, schema, max: 2 });
  const repository = new ReadingsRepository(pool);
  const strategies: Array<[string, (rows: ReadingRow[]) => Promise<number>]> = [
    ['unnest INSERT', (rows) => repository.insertBatch(rows)],
    ['COPY + INSERT…SELECT', (rows) => insertWithCopy(pool, rows)],
  ];
  // The raw sink writes RAW_SINK_CONCURRENCY (default 2) partitions at once: two writers.
  const twoWriters = async (batchSize: number): Promise<number> => {
    let next = 0;
    let inserted = 0;
    const writer = async (): Promise<void> => {
      while (next < TOTAL) {
        const offset = next;
        next += batchSize;
        inserted += await repository.insertBatch(
          rowsFrom(offset, Math.min(batchSize, TOTAL - offset)),
        );
      }
    };
    await Promise.all([writer(), writer()]);
    return inserted;
  };
  try {
    for (const batchSize of BATCH_SIZES) {
      for (const [name, write] of strategies) {
        await pool.query('TRUNCATE readings');
        const started = performance.now();
        let inserted = 0;
        for (let offset = 0; offset < TOTAL; offset += batchSize) {
          inserted += await write(rowsFrom(offset, Math.min(batchSize, TOTAL - offset)));
        }
        const seconds = (performance.now() - started) / 1000;
        // Replaying the same rows measures the duplicate path (all conflicts).
        const replayStarted = performance.now();
        for (let offset = 0; offset < TOTAL; offset += batchSize) {
          await write(rowsFrom(offset, Math.min(batchSize, TOTAL - offset)));
        }
        const replaySeconds = (performance.now() - replayStarted) / 1000;
        console.log(
          `${name.padEnd(22)} batch ${String(batchSize).padStart(6)}: ${Math.round(
            inserted / seconds,
          )
            .toLocaleString('en')
            .padStart(9)} rows/s new, ${Math.round(TOTAL / replaySeconds)
            .toLocaleString('en')
            .padStart(9)} rows/s replayed (${inserted} rows)`,
        );
      }
      await pool.query('TRUNCATE readings');
      const started = performance.now();
      const inserted = await twoWriters(batchSize);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${'unnest INSERT, 2 conns'.padEnd(22)} batch ${String(batchSize).padStart(6)}: ${Math.round(
          inserted / seconds,
        )
          .toLocaleString('en')
          .padStart(9)} rows/s new`,
      );
    }
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}

/**
 * The alternative the repository does NOT use, kept here so the comparison can be rerun on other
 * hardware: COPY into a per-connection staging table, then one INSERT…SELECT…ON CONFLICT. It pays
 * every row twice (staging + table) and was not faster than unnest on this machine.
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
