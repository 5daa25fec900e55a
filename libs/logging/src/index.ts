export type { Logger } from 'pino';
export { createLogger, REDACTED_PATHS, REDACTION_CENSOR } from './create-logger';
export { NestPinoLogger } from './nest-pino.logger';
