import pino, { type DestinationStream, type Logger } from 'pino';

// Credentials travel in request headers and config objects; they must never reach a log line,
// whatever a call site passes in. Paths use pino's redaction syntax (`*` = any one key).
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  'password',
  'token',
  '*.apiKey',
  '*.password',
  '*.token',
  '*.*.apiKey',
  '*.*.password',
  '*.*.token',
];

export const REDACTION_CENSOR = '[redacted]';

/**
 * A JSON logger whose every line carries `service`. Level defaults to LOG_LEVEL or `info`.
 * `destination` exists for tests and tools; services log to stdout.
 */
export function createLogger(
  service: string,
  level: string = process.env['LOG_LEVEL'] ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
