import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@sluice/config';
import { createPgPool } from '@sluice/db';
import { aggregatorEnvSchema } from '../aggregator.config';
import { batchLayerSettings } from './batch-layer.module';
import { batchLayerMetrics } from './batch-layer.metrics';
import { BatchLayerService } from './batch-layer.service';
import { BatchRunsRepository } from './batch-runs.repository';
import { DirtyBucketsRepository } from './dirty-buckets.repository';
import { RollupsRepository } from './rollups.repository';

const USAGE = `usage: npm run backfill -- --from <ISO|epoch ms> --to <ISO|epoch ms> [--tenant t] [--devices a,b] [--metrics m1,m2]
Recomputes hourly rollups of the range (hour by hour, one transaction each) and the days it touches,
against DATABASE_URL / DATABASE_SCHEMA; safe while the pipeline runs. Exit: 0 done, 1 failed, 2 bad arguments.`;

function time(value: string | undefined, name: string): number {
  if (value === undefined) throw new RangeError(`--${name} is required`);
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new RangeError(`--${name} must be an ISO-8601 time or epoch ms (got "${value}")`);
  return ms;
}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);

// `npm run backfill -- --from … --to …`: progress per hour on stderr, a JSON summary on stdout.
async function main(): Promise<number> {
  let request;
  let config;
  try {
    const { values } = parseArgs({
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        tenant: { type: 'string' },
        devices: { type: 'string' },
        metrics: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    request = {
      fromMs: time(values.from, 'from'),
      toMs: time(values.to, 'to'),
      tenant: values.tenant,
      devices: list(values.devices),
      metrics: list(values.metrics),
    };
    if (request.toMs <= request.fromMs) throw new RangeError('--to must be after --from');
    config = loadConfig(aggregatorEnvSchema, process.env, 'backfill');
  } catch (error) {
    if (
      !(error instanceof ConfigError) &&
      !(error instanceof TypeError) &&
      !(error instanceof RangeError)
    )
      throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const pool = createPgPool({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    ssl: config.DATABASE_SSL,
    max: 2,
    applicationName: 'backfill',
  });
  try {
    const batch = new BatchLayerService(
      pool,
      new RollupsRepository(pool),
      new BatchRunsRepository(pool),
      new DirtyBucketsRepository(pool),
      { ...batchLayerSettings(config), runner: `backfill-cli:${process.pid}` },
      batchLayerMetrics(),
    );
    const summary = await batch.backfill(request, (progress) => {
      const pct =
        progress.hoursTotal === 0 ? 100 : (100 * progress.hoursDone) / progress.hoursTotal;
      process.stderr.write(
        `\rrun ${progress.runId}: ${progress.hoursDone}/${progress.hoursTotal} hours (${pct.toFixed(0)}%), ` +
          `${progress.rowsRead} rows read, ${progress.rowsWritten} rollups written`,
      );
    });
    process.stderr.write('\n');
    process.stdout.write(
      `${JSON.stringify({
        runId: summary.runId,
        from: new Date(summary.fromMs).toISOString(),
        to: new Date(summary.toMs).toISOString(),
        hours: summary.hoursDone,
        days: summary.daysRecomputed,
        rowsRead: summary.rowsRead,
        rollupsWritten: summary.rowsWritten,
        durationMs: summary.durationMs,
      })}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(
      `\nbackfill failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    await pool.end();
  }
}

void main().then((code) => {
  process.exitCode = code;
});
