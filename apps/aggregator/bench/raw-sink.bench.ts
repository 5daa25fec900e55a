/**
 * Raw sink write throughput: `node -r @swc-node/register apps/aggregator/bench/raw-sink.bench.ts`
 * Compares the two bulk strategies (unnest multi-row INSERT vs COPY + INSERT…SELECT) on the real
 * PostgreSQL (DATABASE_URL), in a schema of its own, batch sizes as the consumer sees them.
 */
import { randomUUID } from 'node:crypto';
import { createPgPool, runMigrations } from '@sluice/db';
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
    ['COPY + INSERT…SELECT', (rows) => repository.insertBatchCopy(rows)],
  ];
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
    }
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
