import { createLogger } from '@sluice/logging';
import { metricsRegistry } from '@sluice/metrics';
import { observeDbOperation } from './db-operation.metrics';
import { createPgPool } from './pg-pool.factory';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function countOf(operation: string, outcome: string): Promise<number> {
  const text = await metricsRegistry.getSingleMetricAsString(
    'sluice_postgres_operation_duration_seconds',
  );
  const line = text
    .split('\n')
    .find(
      (candidate) =>
        candidate.startsWith('sluice_postgres_operation_duration_seconds_count{') &&
        candidate.includes(`operation="${operation}"`) &&
        candidate.includes(`outcome="${outcome}"`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('observeDbOperation', () => {
  const pool = createPgPool({ url: DATABASE_URL, logger: createLogger('db-spec', 'silent') });

  afterAll(async () => {
    await pool.end();
  });

  it('records the duration of real queries by operation and outcome, passing results and errors through', async () => {
    const result = await observeDbOperation('spec_select', () => pool.query('SELECT 41 + 1 AS n'));
    expect(result.rows).toEqual([{ n: 42 }]);
    await expect(
      observeDbOperation('spec_select', () => pool.query('SELECT * FROM no_such_table')),
    ).rejects.toThrow('relation "no_such_table" does not exist');

    expect(await countOf('spec_select', 'ok')).toBe(1);
    expect(await countOf('spec_select', 'error')).toBe(1);
  });
});
