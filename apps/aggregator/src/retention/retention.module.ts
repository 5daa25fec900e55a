import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool } from 'pg';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { BatchLayerModule } from '../batch-layer/batch-layer.module';
import { BatchRunsRepository } from '../batch-layer/batch-runs.repository';
import { SchedulerLock } from '../batch-layer/scheduler-lock';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';

/** Raw and rollup retention (TimescaleDB policies, or bounded deletes). */
@Module({
  imports: [BatchLayerModule],
  providers: [
    {
      provide: RetentionService,
      inject: [PG_POOL, BatchRunsRepository, AGGREGATOR_CONFIG],
      useFactory: (pool: Pool, runs: BatchRunsRepository, config: AggregatorConfig) =>
        new RetentionService(new RetentionRepository(pool), runs, {
          days: {
            readings: config.RETENTION_RAW_DAYS,
            rollups_1h: config.RETENTION_ROLLUPS_1H_DAYS,
            rollups_1d: config.RETENTION_ROLLUPS_1D_DAYS,
          },
          batchRows: config.RETENTION_BATCH_ROWS,
          runner: `${hostname()}:${process.pid}`,
        }),
    },
    {
      provide: RetentionScheduler,
      inject: [PG_POOL, RetentionService, AGGREGATOR_CONFIG],
      useFactory: (pool: Pool, retention: RetentionService, config: AggregatorConfig) =>
        new RetentionScheduler(pool, retention, new SchedulerLock(pool, 'sluice.retention'), {
          enabled: config.BATCH_ENABLED,
          intervalMs: config.RETENTION_INTERVAL_MS,
        }),
    },
  ],
})
export class RetentionModule {}
