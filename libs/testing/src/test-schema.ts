import type pg from 'pg';
import { uniqueName } from './unique-name';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.ClientBase, 'query'>;

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checked(schema: string): string {
  if (!PLAIN_IDENTIFIER.test(schema)) throw new Error(`Invalid test schema name "${schema}"`);
  return schema;
}

/** Creates an empty schema with a unique name and returns the name. */
export async function createTestSchema(pool: Queryable, prefix = 'test'): Promise<string> {
  const schema = uniqueName(prefix);
  await pool.query(`CREATE SCHEMA ${checked(schema)}`);
  return schema;
}

export async function dropTestSchema(pool: Queryable, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${checked(schema)} CASCADE`);
}
