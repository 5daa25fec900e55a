import { Module } from '@nestjs/common';
import { loadAlertRules } from '@sluice/alerting';
import { KafkaProducer } from '@sluice/kafka';
import { REDIS } from '@sluice/redis';
import type { Redis } from 'ioredis';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { DeviceActivityConsumer } from './device-activity.consumer';
import { SilenceCheckScheduler } from './silence-check.scheduler';
import { SilenceDetectionService } from './silence-detection.service';

/** Device silence → alerts.v1 (enabled when a rule configures the `silence` detector). */
@Module({
  providers: [
    {
      provide: SilenceDetectionService,
      inject: [REDIS, KafkaProducer, AGGREGATOR_CONFIG],
      useFactory: (redis: Redis, producer: KafkaProducer, config: AggregatorConfig) =>
        new SilenceDetectionService(redis, producer, {
          rules: loadAlertRules(config),
          alertsTopic: config.TOPIC_ALERTS,
          batchSize: 1000,
        }),
    },
    DeviceActivityConsumer,
    SilenceCheckScheduler,
  ],
})
export class SilenceDetectionModule {}
