export { DbModule, PG_POOL } from './db.module';
export { InvalidSchemaNameError, MigrationError } from './db.errors';
export {
  MIGRATIONS_DIR,
  MIGRATIONS_TABLE,
  runMigrations,
  type RunMigrationsOptions,
} from './migrations.runner';
export { createPgPool, type PgPoolConfig } from './pg-pool.factory';
export { assertSchemaName } from './schema-name';
export { detectTimescale } from './timescale';
export { observeDbOperation } from './db-operation.metrics';
export { deleteLockedBatch, type LockedBatchDelete } from './locked-batch-delete';
