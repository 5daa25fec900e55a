/**
 * Serving layer latency: `node -r @swc-node/register apps/aggregator/bench/serving.bench.ts`
 * (or `npm run bench -- serving`). Fills rollups_1h of a scratch schema with 30 days x 500 devices
 * of hourly rollups, puts the batch watermark at the current hour (so the live hour is read from
 * the speed layer in Redis), then times ServingService queries of 30 days at 1-hour resolution
 * for one device (720 buckets). Prints p50/p95/p99. Target: p99 < 50 ms. In-process: gRPC and
 * HTTP framing of the gateway are not included.
 */
import { createPgPool, runMigrations } from '@sluice/db';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import { Redis } from 'ioredis';
import { batchLayerMetrics } from '../src/batch-layer/batch-layer.metrics';
import { BatchLayerService } from '../src/batch-layer/batch-layer.service';
import { BatchRunsRepository } from '../src/batch-layer/batch-runs.repository';
import { DirtyBucketsRepository } from '../src/batch-layer/dirty-buckets.repository';
import { RollupsRepository } from '../src/batch-layer/rollups.repository';
import { SeriesRepository } from '../src/serving/series.repository';
import { ServingService } from '../src/serving/serving.service';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DEVICES = Number(process.env.BENCH_DEVICES ?? 500);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const HOUR = 3_600_000;
const DAYS = 30;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const schema = uniqueName('bench_serving');
  await runMigrations(url, { schema });
  const pool = createPgPool({ url, schema, max: 4 });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    keyPrefix: `${schema}:`,
  });
  try {
    const currentHour = Math.floor(Date.now() / HOUR) * HOUR;
    const from = currentHour - DAYS * 24 * HOUR;
    await pool.query(
      `INSERT INTO rollups_1h (tenant, device, metric, bucket, count, sum, min, max, first, first_time,
                               last, last_time, sum_squares)
       SELECT 'bench', 'dev-' || d, 'temperature', b, 900, 900 * 21.5, 18, 25, 20, b, 22,
              b + interval '59 minutes', 900 * 470
         FROM generate_series(1, $3::int) d,
              generate_series(to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000) - interval '1 hour',
                              interval '1 hour') b`,
      [from, currentHour, DEVICES],
    );
    await pool.query(
      `INSERT INTO batch_watermarks (job, completed_until) VALUES
         ('hourly', to_timestamp($1::float8 / 1000)), ('daily', to_timestamp($2::float8 / 1000))`,
      [currentHour, Math.floor(currentHour / (24 * HOUR)) * 24 * HOUR],
    );
    await pool.query('ANALYZE rollups_1h');
    const rollups = new RollupsRepository(pool);
    const batch = new BatchLayerService(
      pool,
      rollups,
      new BatchRunsRepository(pool),
      new DirtyBucketsRepository(pool),
      {
        zone: 'UTC',
        bufferMs: 0,
        initialLookbackMs: 0,
        maxRunsPerTick: 1,
        dirtyBatchSize: 1,
        energy: { method: 'trapezoid', maxGapMs: 900_000 },
        retry: { baseMs: 1, maxMs: 1 },
        runner: 'bench',
      },
      batchLayerMetrics(),
    );
    const serving = new ServingService(batch, rollups, new SeriesRepository(pool), redis, {
      zone: 'UTC',
      speedWindowMs: 60_000,
      maxDevices: 100,
      maxPoints: 200_000,
    });
    const query = async (device: string): Promise<number> => {
      let points = 0;
      for await (const page of serving.querySeries({
        tenant: 'bench',
        devices: [device],
        metric: 'temperature',
        fromMs: from,
        toMs: currentHour + HOUR,
        resolution: '1h',
        includeGaps: true,
        pageSize: 5_000,
      })) {
        points += page.points.length;
      }
      return points;
    };
    for (let i = 0; i < 20; i += 1) await query(`dev-${1 + (i % DEVICES)}`); // warm-up
    const latencies: number[] = [];
    let points = 0;
    for (let i = 0; i < QUERIES; i += 1) {
      const device = `dev-${1 + Math.floor(Math.random() * DEVICES)}`;
      const started = process.hrtime.bigint();
      points = await query(device);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `  ${QUERIES} queries, 30 days @1h (${points} buckets: ${points - 1} from rollups + the live hour from Redis), ` +
        `${DEVICES} devices x ${DAYS * 24} hourly rollups in the table`,
    );
    console.log(
      `  latency ms: p50 ${percentile(latencies, 50).toFixed(1)}, p95 ${percentile(latencies, 95).toFixed(1)}, ` +
        `p99 ${percentile(latencies, 99).toFixed(1)}, max ${latencies[latencies.length - 1].toFixed(1)}`,
    );
  } finally {
    redis.disconnect();
    await dropTestSchema(pool, schema);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
