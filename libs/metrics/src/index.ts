export type { Counter, Gauge, Histogram } from 'prom-client';
export { BATCH_SIZE_BUCKETS, LATENCY_BUCKETS_SECONDS } from './buckets';
export {
  createCounter,
  createGauge,
  createHistogram,
  MetricRegistrationError,
} from './metric-factories';
export { instrumentHttpServer } from './http-metrics';
export { MetricsController } from './metrics.controller';
export { MetricsModule } from './metrics.module';
export { metricsRegistry, setServiceLabel } from './metrics.registry';
