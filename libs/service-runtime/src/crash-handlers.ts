import type { Logger } from '@sluice/logging';

let installed = false;

/**
 * An uncaught exception or unhandled rejection leaves the process in an unknown state: log it as
 * fatal (so it is visible in the JSON logs, not only on stderr) and exit non-zero so the
 * orchestrator restarts the service. At-least-once consumers make the restart lossless.
 */
export function installCrashHandlers(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (error, origin) => {
    logger.fatal({ err: error, origin }, 'uncaught exception; exiting');
    logger.flush();
    process.exit(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    logger.flush();
    process.exit(1);
  });
}
