import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { ReadingsIngestController } from './readings-ingest.controller';
import { ReadingsIngestService } from './readings-ingest.service';

/** `POST /api/v1/readings`: JSON batches → telemetry.raw.v1. */
@Module({
  imports: [RegistryModule],
  controllers: [ReadingsIngestController],
  providers: [ReadingsIngestService],
})
export class ReadingsIngestModule {}
