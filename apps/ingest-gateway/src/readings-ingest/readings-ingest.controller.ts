import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import type { Principal } from '../auth/api-key';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { RequireScope } from '../auth/require-scope.decorator';
import { gatewayTraceparent } from '../http/trace-context';
import { ReadingsIngestService, type IngestResult } from './readings-ingest.service';

@Controller('api/v1/readings')
export class ReadingsIngestController {
  constructor(private readonly ingest: ReadingsIngestService) {}

  /** 202: every reading is in Kafka (acks=all) and will reach storage. */
  @Post()
  @HttpCode(202)
  @RequireScope('write')
  post(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('traceparent') traceparent: string | undefined,
  ): Promise<IngestResult> {
    return this.ingest.ingest(principal, body, gatewayTraceparent(traceparent));
  }
}
