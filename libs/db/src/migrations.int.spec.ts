import { createLogger } from '@sluice/logging';
import { dropTestSchema, uniqueName } from '@sluice/testing';
import pg from 'pg';
import { MigrationError } from './db.errors';
import { MIGRATIONS_TABLE, runMigrations } from './migrations.runner';
import { createPgPool } from './pg-pool.factory';
import { detectTimescale } from './timescale';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const logger = createLogger('db-spec', 'silent');

describe('runMigrations', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  const schemas: string[] = [];

  function newSchema(): string {
    const schema = uniqueName('db_spec');
    schemas.push(schema);
    return schema;
  }

  async function tablesOf(schema: string): Promise<string[]> {
    const { rows } = await admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema],
    );
    return rows.map((row) => row.table_name);
  }

  async function appliedIn(schema: string): Promise<string[]> {
    const { rows } = await admin.query<{ name: string }>(
      `SELECT name FROM ${schema}.${MIGRATIONS_TABLE} ORDER BY id`,
    );
    return rows.map((row) => row.name);
  }

  afterAll(async () => {
    for (const schema of schemas) await dropTestSchema(admin, schema);
    await admin.end();
  });

  it('applies every migration into a fresh schema, then nothing the second time', async () => {
    const schema = newSchema();

    const first = await runMigrations(DATABASE_URL, { schema, logger });
    const second = await runMigrations(DATABASE_URL, { schema, logger });

    expect(first).toEqual(expect.arrayContaining(['0001_registry', '0002_readings']));
    expect(first).toEqual([...first].sort());
    expect(second).toEqual([]);
    expect(await appliedIn(schema)).toEqual(first);
    expect(await tablesOf(schema)).toEqual(
      expect.arrayContaining(['readings', 'tenants', MIGRATIONS_TABLE]),
    );
  });

  it('is safe when two pools migrate the same schema at the same time', async () => {
    const schema = newSchema();

    const [a, b] = await Promise.all([
      runMigrations(DATABASE_URL, { schema, logger }),
      runMigrations(DATABASE_URL, { schema, logger }),
    ]);

    // one caller applied everything, the other waited for the lock and found nothing to do
    expect([a, b].filter((applied) => applied.length === 0)).toHaveLength(1);
    const applied = await appliedIn(schema);
    expect(new Set(applied).size).toBe(applied.length);
    expect([...a, ...b].sort()).toEqual([...applied].sort());
  });

  it('gives a pool created for the schema the migrated tables', async () => {
    const schema = newSchema();
    await runMigrations(DATABASE_URL, { schema, logger });
    const pool = createPgPool({ url: DATABASE_URL, schema, logger });
    try {
      await pool.query(`INSERT INTO tenants (id, name) VALUES ('t1', 'Tenant 1')`);
      const { rows } = await admin.query(`SELECT id FROM ${schema}.tenants`);
      expect(rows).toEqual([{ id: 't1' }]);
    } finally {
      await pool.end();
    }
  });

  it('fails with the database (password masked) and the schema named', async () => {
    const schema = newSchema();
    const badUrl = 'postgres://postgres:secret@127.0.0.1:1/postgres';
    const error = await runMigrations(badUrl, { schema, logger }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(
      `Migrations failed on postgres://postgres:***@127.0.0.1:1/postgres (schema "${schema}")`,
    );
    expect((error as Error).message).not.toContain('secret');
  });
});

describe('detectTimescale', () => {
  it('reports whether the extension is installed (it is not on the CI PostgreSQL)', async () => {
    const pool = createPgPool({ url: DATABASE_URL, logger });
    try {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'timescaledb'`,
      );
      expect(await detectTimescale(pool)).toBe(rows[0].n === 1);
      expect(await detectTimescale(pool)).toBe(false);
    } finally {
      await pool.end();
    }
  });
});
