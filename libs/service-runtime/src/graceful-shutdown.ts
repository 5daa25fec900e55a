import type { INestApplication } from '@nestjs/common';
import { HealthService } from '@sluice/health';
import type { Logger } from '@sluice/logging';

export interface GracefulShutdownOptions {
  logger: Logger;
  /** Hard deadline: if closing takes longer, log an error and exit(1). */
  graceMs: number;
  signals?: readonly NodeJS.Signals[];
}

/**
 * On SIGTERM/SIGINT: report draining on readiness, then `app.close()` — which runs, in order,
 * onModuleDestroy, beforeApplicationShutdown (consumers stop fetching, finish the in-flight batch,
 * commit), closes the HTTP server, then onApplicationShutdown (pools and clients close) — and exit 0.
 * A hook that hangs must not keep a pod in Terminating forever, so after graceMs the process exits 1.
 *
 * Nest's own enableShutdownHooks() is deliberately not used: it re-raises the signal after closing
 * (exit code 143 instead of 0) and has no deadline or draining step.
 */
export function installGracefulShutdown(
  app: INestApplication,
  options: GracefulShutdownOptions,
): void {
  const { logger, graceMs } = options;
  let shuttingDown = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, 'shutdown already in progress');
      return;
    }
    shuttingDown = true;
    logger.info({ signal, graceMs }, 'shutting down: draining');
    markDraining(app, logger);

    const deadline = setTimeout(() => {
      logger.error(
        { signal, graceMs },
        `shutdown did not finish within ${graceMs} ms; forcing exit`,
      );
      logger.flush();
      process.exit(1);
    }, graceMs);

    app.close().then(
      () => {
        clearTimeout(deadline);
        logger.info({ signal }, 'shutdown complete');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        logger.error({ err: error, signal }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
}

function markDraining(app: INestApplication, logger: Logger): void {
  try {
    app.get(HealthService, { strict: false }).setDraining();
  } catch (error) {
    logger.warn({ err: error }, 'no HealthService to mark draining');
  }
}
