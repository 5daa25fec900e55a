import { createLogger, type Logger } from '@sluice/logging';
import pg from 'pg';
import { assertSchemaName } from './schema-name';

export interface PgPoolConfig {
  url: string;
  max?: number;
  /** true = TLS with certificate verification; false/undefined = as the URL says (sslmode). */
  ssl?: boolean;
  /** Puts this schema first on the search_path of every connection (tests use one schema each). */
  schema?: string;
  applicationName?: string;
  /** A connection that cannot be obtained within this time fails instead of queueing forever. */
  connectionTimeoutMs?: number;
  logger?: Logger;
}

export function createPgPool(config: PgPoolConfig): pg.Pool {
  const logger = config.logger ?? createLogger('db');
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.max ?? 10,
    ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    ...(config.schema === undefined
      ? {}
      : { options: `-c search_path=${assertSchemaName(config.schema)},public` }),
    application_name: config.applicationName ?? 'sluice',
    connectionTimeoutMillis: config.connectionTimeoutMs ?? 5000,
  });
  // An idle client losing its connection (server restart, failover) emits 'error' on the pool;
  // unhandled, that event would crash the process. The pool replaces the client on next use.
  pool.on('error', (error) => logger.error({ err: error }, 'idle PostgreSQL client failed'));
  return pool;
}
