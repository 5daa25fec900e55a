import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../auth/require-scope.decorator';
import { PipelineStatusService, type PipelineStatus } from './pipeline-status.service';

/**
 * `GET /api/v1/pipeline/status` (read scope) →
 * `{generatedAt, rateWindowSeconds, ingest:{gatewayReadingsPerSecond, gatewayReadingsAccepted,
 * rawRecordsPerSecond}, topics:[{topic, partitions, records, recordsPerSecond}],
 * consumerGroups:[{groupId, state, members, totalLag, topics:[{topic, lag, partitions:[{partition,
 * committed, high, lag}]}]}], dlq:{topic, records, recordsPerSecond}, metricsLinks:[{service, url}]}`.
 * Figures are pipeline-wide operations data (record counts, lags), not tenant readings. Rates
 * compare with the previous call (null on the first). Batch job runs are `GET /api/v1/batch/runs`.
 */
@Controller('api/v1/pipeline')
export class PipelineStatusController {
  constructor(private readonly pipeline: PipelineStatusService) {}

  @Get('status')
  @RequireScope('read')
  status(): Promise<PipelineStatus> {
    return this.pipeline.status();
  }
}
