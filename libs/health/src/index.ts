export { HealthController } from './health.controller';
export { HealthCheckTimeoutError } from './health.errors';
export { HealthModule } from './health.module';
export { DEFAULT_CHECK_TIMEOUT_MS, HealthService } from './health.service';
export type { CheckResult, HealthCheck, HealthReport, RegisterCheckOptions } from './health.types';
