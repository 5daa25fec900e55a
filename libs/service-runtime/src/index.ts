export {
  bootstrapService,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_GRACE_MS,
  type ServiceOptions,
} from './bootstrap-service';
export { installCrashHandlers } from './crash-handlers';
export { installGracefulShutdown, type GracefulShutdownOptions } from './graceful-shutdown';
export { runService, CONFIG_ERROR_EXIT_CODE } from './run-service';
export {
  BatchedDeletes,
  RetentionScheduler,
  type ExpiredRowsCleaner,
  type RetentionMetrics,
} from './retention-scheduler';
