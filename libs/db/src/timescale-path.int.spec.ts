import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '@sluice/logging';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import pg from 'pg';
import { MIGRATIONS_DIR, runMigrations } from './migrations.runner';

// PGlite boots a WebAssembly PostgreSQL with TimescaleDB: seconds, more on a loaded machine.
jest.setTimeout(180_000);

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface ProbeResult {
  applied: string[];
  hypertables: Array<{ hypertable_name: string; compression_enabled: boolean }>;
  jobs: Array<{ proc_name: string; hypertable_name: string; config: Record<string, unknown> }>;
  rollups: Array<{ count: number; sum: number }>;
  compressed: number;
  readingsAfterCompression: number;
}

/**
 * Acceptance 5 (issue 4): the migrations take the TimescaleDB path where the extension exists
 * (PGlite built with TimescaleDB 2.x, in a child process: the CI PostgreSQL has no TimescaleDB)
 * and the plain path on the real server.
 */
describe('migrations on TimescaleDB (PGlite build)', () => {
  let result: ProbeResult;

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(__dirname, 'testing', 'timescale-migrations.probe.cjs'), MIGRATIONS_DIR],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    result = JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
  });

  it('applies every migration file', () => {
    expect(result.applied).toEqual(
      expect.arrayContaining(['0001_registry', '0002_readings', '0003_rollups']),
    );
  });

  it('makes readings and the rollup tables hypertables, readings compressed', () => {
    expect(result.hypertables).toEqual([
      { hypertable_name: 'readings', compression_enabled: true },
      { hypertable_name: 'rollups_1d', compression_enabled: false },
      { hypertable_name: 'rollups_1h', compression_enabled: false },
    ]);
  });

  it('creates the compression and retention policies', () => {
    expect(result.jobs.map((job) => [job.proc_name, job.hypertable_name])).toEqual([
      ['policy_compression', 'readings'],
      ['policy_retention', 'readings'],
      ['policy_retention', 'rollups_1h'],
    ]);
    expect(result.jobs[0].config).toMatchObject({ compress_after: '7 days' });
    expect(result.jobs[1].config).toMatchObject({ drop_after: '90 days' });
  });

  it('takes the batch layer writes: replayed readings, a rerun upsert, a compressed chunk', () => {
    expect(result.rollups).toEqual([
      { count: 60, sum: (59 * 60) / 2 },
      { count: 60, sum: (60 + 119) * 30 },
      { count: 60, sum: (120 + 179) * 30 },
    ]);
    expect(result.compressed).toBeGreaterThan(0);
    expect(result.readingsAfterCompression).toBe(180);
  });
});

describe('migrations on the plain PostgreSQL server', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const schema = uniqueName('db_plain');

  afterAll(async () => {
    await dropTestSchema(admin, schema);
    await admin.end();
  });

  it('creates the rollup tables as plain tables with their keys; readings keeps its BRIN index', async () => {
    await runMigrations(DATABASE_URL, { schema, logger: createLogger('db-spec', 'silent') });
    const { rows } = await admin.query<{ tablename: string; indexname: string }>(
      `SELECT tablename, indexname FROM pg_indexes WHERE schemaname = $1
          AND tablename IN ('readings', 'rollups_1h', 'rollups_1d', 'dirty_buckets') ORDER BY 1, 2`,
      [schema],
    );
    expect(rows.map((row) => `${row.tablename}.${row.indexname}`)).toEqual([
      'dirty_buckets.dirty_buckets_bucket_idx',
      'dirty_buckets.dirty_buckets_pkey',
      'readings.readings_pkey',
      'readings.readings_time_brin_idx',
      'rollups_1d.rollups_1d_bucket_idx',
      'rollups_1d.rollups_1d_pkey',
      'rollups_1h.rollups_1h_bucket_idx',
      'rollups_1h.rollups_1h_pkey',
    ]);
  });
});
