import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ReadingsIngestModule } from '../readings-ingest/readings-ingest.module';
import { LineProtocolWriteService } from './line-protocol-write.service';
import { LineProtocolRoutes } from './line-protocol.routes';

/** InfluxDB line protocol: `POST /write`, `POST /api/v2/write`, `GET /ping`, `/health` for agents. */
@Module({
  imports: [AuthModule, RateLimitModule, ReadingsIngestModule],
  providers: [LineProtocolWriteService, LineProtocolRoutes],
})
export class LineProtocolModule {}
