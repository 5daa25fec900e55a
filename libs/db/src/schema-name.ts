import { InvalidSchemaNameError } from './db.errors';

// Schema names go into search_path settings and DDL, where they cannot be bound as parameters;
// restricting them to plain identifiers makes quoting unnecessary and injection impossible.
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): string {
  if (!PLAIN_IDENTIFIER.test(schema)) throw new InvalidSchemaNameError(schema);
  return schema;
}
