import { join } from 'node:path';
import { createLogger, type Logger } from '@sluice/logging';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { MigrationError } from './db.errors';
import { assertSchemaName } from './schema-name';

export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

export interface RunMigrationsOptions {
  /** Target schema (created if missing); default `public`. Tests migrate into a schema of their own. */
  schema?: string;
  ssl?: boolean;
  dir?: string;
  logger?: Logger;
}

/**
 * Applies every pending `migrations/*.sql` file in name order with node-pg-migrate, all pending
 * files in one transaction. Returns the names applied (empty when up to date).
 *
 * Concurrency: node-pg-migrate's own lock is a *try*-lock, so a second process starting at the
 * same moment (two replicas, two test files) would fail with "Another migration is already
 * running". We instead hold a blocking advisory lock per target schema on the migrating
 * connection: the second caller waits, then finds nothing left to do.
 */
export async function runMigrations(
  url: string,
  options: RunMigrationsOptions = {},
): Promise<string[]> {
  const schema = assertSchemaName(options.schema ?? 'public');
  const logger = (options.logger ?? createLogger('migrate')).child({ schema });
  const client = new pg.Client({
    connectionString: url,
    ...(options.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    application_name: 'sluice-migrate',
  });
  try {
    await client.connect();
    await client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [lockName(schema)]);
    const applied = await runner({
      dbClient: client,
      dir: options.dir ?? MIGRATIONS_DIR,
      // only *.sql files count (never dotfiles or notes next to them)
      ignorePattern: '\\..*|.*(?<!\\.sql)',
      migrationsTable: MIGRATIONS_TABLE,
      // the target schema first (tables and the migrations table go there), public after it so
      // extension functions installed in public (TimescaleDB) resolve
      schema: schema === 'public' ? 'public' : [schema, 'public'],
      createSchema: true,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      noLock: true,
      logger: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message),
        warn: (message: string) => logger.warn(message),
        // Our files are numbered 0001_, 0002_ (ordered numerically, as intended), which
        // node-pg-migrate reports as an error because it expects timestamps: not a real error.
        error: (message: string) =>
          message.startsWith("Can't determine timestamp")
            ? logger.debug(message)
            : logger.error(message),
      },
    });
    const names = applied.map((migration) => migration.name);
    logger.info({ applied: names }, names.length > 0 ? 'migrations applied' : 'schema up to date');
    return names;
  } catch (error) {
    throw new MigrationError(url, schema, error);
  } finally {
    // Ending the session releases the advisory lock even if the unlock query is never sent.
    await client
      .end()
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'closing migration connection failed'),
      );
  }
}

function lockName(schema: string): string {
  return `sluice.migrations:${schema}`;
}
