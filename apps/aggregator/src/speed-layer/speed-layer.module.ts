import { Module } from '@nestjs/common';
import { KafkaProducer } from '@sluice/kafka';
import { REDIS } from '@sluice/redis';
import { validateSpeedLayerSettings } from '@sluice/speed-layer';
import type { Redis } from 'ioredis';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { speedLayerMetrics } from './speed-layer.metrics';
import { SpeedLayerService } from './speed-layer.service';
import { TelemetryCleanSpeedLayerConsumer } from './telemetry-clean-speed-layer.consumer';
import { WindowCloserScheduler } from './window-closer.scheduler';

/** Live windows and latest values in Redis, closed windows to aggregates.1m. */
@Module({
  providers: [
    {
      provide: SpeedLayerService,
      inject: [REDIS, KafkaProducer, AGGREGATOR_CONFIG],
      useFactory: (redis: Redis, producer: KafkaProducer, config: AggregatorConfig) =>
        new SpeedLayerService(
          redis,
          producer,
          { dlq: config.TOPIC_TELEMETRY_DLQ, aggregates: config.TOPIC_AGGREGATES_1M },
          // Fails start-up on settings that would lose windows (retention <= lateness).
          validateSpeedLayerSettings({
            windowMs: config.SPEED_WINDOW_MS,
            allowedLatenessMs: config.SPEED_ALLOWED_LATENESS_MS,
            retentionMs: config.SPEED_RETENTION_MS,
          }),
          {
            graceMs: config.SPEED_CLOSER_GRACE_MS,
            leaseMs: config.SPEED_CLOSER_LEASE_MS,
            batchSize: 500,
          },
          speedLayerMetrics(),
        ),
    },
    TelemetryCleanSpeedLayerConsumer,
    WindowCloserScheduler,
  ],
})
export class SpeedLayerModule {}
