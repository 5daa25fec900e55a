/**
 * Batch layer throughput: `node -r @swc-node/register apps/aggregator/bench/rollup.bench.ts`
 * (or `npm run bench -- rollup`). Fills `readings` of a scratch schema with BENCH_ROWS (10M)
 * rows by generate_series, then rolls every hour up through the batch layer's own code path
 * (BatchLayerService.backfill: recompute + upsert + stale delete, one transaction per hour) and
 * prints source rows/s; then once more (the rerun replaces every row). Target: >= 500k rows/s.
 */
import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import { batchLayerMetrics } from '../src/batch-layer/batch-layer.metrics';
import { BatchLayerService } from '../src/batch-layer/batch-layer.service';
import { BatchRunsRepository } from '../src/batch-layer/batch-runs.repository';
import { DirtyBucketsRepository } from '../src/batch-layer/dirty-buckets.repository';
import { RollupsRepository } from '../src/batch-layer/rollups.repository';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TOTAL = Number(process.env.BENCH_ROWS ?? 10_000_000);
const SERIES = 2_000; // 1000 devices x 2 metrics
const STEP_S = 4;
const HOUR = 3_600_000;

async function main(): Promise<void> {
  const schema = uniqueName('bench_rollup');
  await runMigrations(url, { schema });
  const pool = createPgPool({ url, schema, max: 4 });
  try {
    const perSeries = Math.ceil(TOTAL / SERIES);
    const start = Date.UTC(2026, 0, 5);
    const end = start + perSeries * STEP_S * 1000;
    const loadStarted = Date.now();
    const CHUNK = 250; // readings per series per statement (~500k rows)
    for (let offset = 0; offset < perSeries; offset += CHUNK) {
      await pool.query(
        `INSERT INTO readings (tenant, device, metric, time, value, unit)
         SELECT 'bench', 'dev-' || d, m, to_timestamp($1::float8 / 1000) + s * ($4 || ' seconds')::interval,
                sin(s * 0.01 + d) * 50 + 20, NULL
           FROM generate_series($2::int, $3::int) s, generate_series(1, ${SERIES / 2}) d,
                unnest(ARRAY['temperature', 'cpu']) m`,
        [start, offset, Math.min(perSeries, offset + CHUNK) - 1, STEP_S],
      );
      process.stdout.write(
        `\r  loading readings: ${Math.min(perSeries, offset + CHUNK) * SERIES} rows`,
      );
    }
    await pool.query('ANALYZE readings');
    await pool.query('DELETE FROM dirty_buckets');
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM readings');
    console.log(
      `\n  loaded ${rows[0].n} rows in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s (setup, not measured)`,
    );

    const batch = new BatchLayerService(
      pool,
      new RollupsRepository(pool),
      new BatchRunsRepository(pool),
      new DirtyBucketsRepository(pool),
      {
        zone: 'UTC',
        bufferMs: 0,
        initialLookbackMs: 0,
        maxRunsPerTick: 1,
        dirtyBatchSize: 1,
        energy: { method: 'trapezoid', maxGapMs: 15 * 60_000 },
        retry: { baseMs: 1_000, maxMs: 1_000 },
        runner: 'bench',
      },
      batchLayerMetrics(),
    );
    const toMs = Math.ceil(end / HOUR) * HOUR;
    for (const label of ['first run', 'rerun (replaces)']) {
      const started = process.hrtime.bigint();
      const summary = await batch.backfill({ fromMs: start, toMs });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(
        `  ${label}: ${summary.rowsRead} source rows → ${summary.rowsWritten} hourly rollups in ` +
          `${summary.hoursDone} runs, ${seconds.toFixed(2)} s = ${Math.round(summary.rowsRead / seconds).toLocaleString('en')} rows/s`,
      );
    }
  } finally {
    await dropTestSchema(pool, schema);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
