import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import { KafkaProducer } from '@sluice/kafka';
import type { Pool } from 'pg';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { rawSinkMetrics } from './raw-sink.metrics';
import { RawSinkService } from './raw-sink.service';
import { ReadingsRepository } from './readings.repository';
import { TelemetryCleanRawSinkConsumer } from './telemetry-clean-raw-sink.consumer';

/** The master data set writer: telemetry.clean → readings (idempotent, bulk). */
@Module({
  providers: [
    {
      provide: ReadingsRepository,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => new ReadingsRepository(pool),
    },
    {
      provide: RawSinkService,
      inject: [ReadingsRepository, KafkaProducer, AGGREGATOR_CONFIG],
      useFactory: (
        readings: ReadingsRepository,
        producer: KafkaProducer,
        config: AggregatorConfig,
      ) =>
        new RawSinkService(
          readings,
          producer,
          config.TOPIC_TELEMETRY_DLQ,
          rawSinkMetrics(),
          Date.now,
          config.BATCH_MAX_LATENESS_MS,
        ),
    },
    TelemetryCleanRawSinkConsumer,
  ],
})
export class RawSinkModule {}
