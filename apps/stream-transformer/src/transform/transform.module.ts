import { Module } from '@nestjs/common';
import { KafkaProducer } from '@sluice/kafka';
import { AnomalyDetectionModule } from '../anomaly-detection/anomaly-detection.module';
import { AnomalyDetectionService } from '../anomaly-detection/anomaly-detection.service';
import { DeviceTagsCache } from '../enrichment/device-tags.cache';
import { EnrichmentModule } from '../enrichment/enrichment.module';
import { TRANSFORMER_CONFIG, type TransformerConfig } from '../stream-transformer.config';
import { TelemetryRawConsumer } from './telemetry-raw.consumer';
import { TelemetryTransformService } from './telemetry-transform.service';
import { transformMetrics } from './transform.metrics';

/** telemetry.raw → validate, normalise, enrich → telemetry.clean + telemetry.dlq. */
@Module({
  imports: [EnrichmentModule, AnomalyDetectionModule],
  providers: [
    {
      provide: TelemetryTransformService,
      inject: [KafkaProducer, DeviceTagsCache, TRANSFORMER_CONFIG, AnomalyDetectionService],
      useFactory: (
        producer: KafkaProducer,
        tags: DeviceTagsCache,
        config: TransformerConfig,
        anomalies: AnomalyDetectionService,
      ) =>
        new TelemetryTransformService(
          producer,
          tags,
          { maxPastMs: config.TIMESTAMP_MAX_PAST_MS, maxFutureMs: config.TIMESTAMP_MAX_FUTURE_MS },
          { clean: config.TOPIC_TELEMETRY_CLEAN, dlq: config.TOPIC_TELEMETRY_DLQ },
          transformMetrics(),
          Date.now,
          anomalies,
        ),
    },
    TelemetryRawConsumer,
  ],
})
export class TransformModule {}
