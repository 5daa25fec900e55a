import { Module } from '@nestjs/common';
import { RateLimitService } from './rate-limit.service';

/** Per-API-key token buckets in Redis, used by every ingest path (JSON, line protocol, CSV, gRPC, MQTT). */
@Module({
  providers: [RateLimitService],
  exports: [RateLimitService],
})
export class RateLimitModule {}
