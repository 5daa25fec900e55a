import { ConfigError, databaseEnv, loadConfig, logEnv } from '@sluice/config';
import { createLogger } from '@sluice/logging';
import { z } from 'zod';
import { runMigrations } from './migrations.runner';

// `npm run migrate`: applies pending migrations to DATABASE_URL (optionally DATABASE_SCHEMA).
// Exit codes: 0 applied or up to date, 2 invalid configuration, 1 migration failed.
async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(
      z.object({ ...databaseEnv, ...logEnv, DATABASE_SCHEMA: z.string().optional() }),
      process.env,
      'migrate',
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  const logger = createLogger('migrate', config.LOG_LEVEL);
  try {
    await runMigrations(config.DATABASE_URL, {
      schema: config.DATABASE_SCHEMA,
      ssl: config.DATABASE_SSL,
      logger,
    });
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, error instanceof Error ? error.message : 'migrations failed');
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
