import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RegistryModule } from '../registry/registry.module';
import { ReadingsIngestController } from './readings-ingest.controller';
import { ReadingsIngestService } from './readings-ingest.service';
import { ReadingsPublisher } from './readings.publisher';

/**
 * `POST /api/v1/readings`: JSON batches → telemetry.raw.v1. Exports `ReadingsPublisher`, the one
 * publish path every other ingest module (line protocol, CSV, gRPC, MQTT) imports this module for.
 */
@Module({
  imports: [RegistryModule, RateLimitModule, IdempotencyModule],
  controllers: [ReadingsIngestController],
  providers: [ReadingsIngestService, ReadingsPublisher],
  exports: [ReadingsPublisher, ReadingsIngestService],
})
export class ReadingsIngestModule {}
