import { Module } from '@nestjs/common';
import { loadAlertRules } from '@sluice/alerting';
import { REDIS, type Redis } from '@sluice/redis';
import { TRANSFORMER_CONFIG, type TransformerConfig } from '../stream-transformer.config';
import { AnomalyDetectionService } from './anomaly-detection.service';

/** Per-reading anomaly detectors (state in Redis) publishing alerts.v1; used by the transform step. */
@Module({
  providers: [
    {
      provide: AnomalyDetectionService,
      inject: [REDIS, TRANSFORMER_CONFIG],
      useFactory: (redis: Redis, config: TransformerConfig) =>
        new AnomalyDetectionService(redis, {
          rules: loadAlertRules(config),
          alertsTopic: config.TOPIC_ALERTS,
          stateTtlMs: config.ANOMALY_STATE_TTL_MS,
        }),
    },
  ],
  exports: [AnomalyDetectionService],
})
export class AnomalyDetectionModule {}
