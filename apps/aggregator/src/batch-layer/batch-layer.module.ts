import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type { Pool } from 'pg';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { batchLayerMetrics } from './batch-layer.metrics';
import { BatchLayerScheduler } from './batch-layer.scheduler';
import { BatchLayerService, type BatchLayerSettings } from './batch-layer.service';
import { BatchRunsRepository } from './batch-runs.repository';
import { DirtyBucketsRepository } from './dirty-buckets.repository';
import { RollupsRepository } from './rollups.repository';
import { SchedulerLock } from './scheduler-lock';

export function batchLayerSettings(config: AggregatorConfig): BatchLayerSettings {
  return {
    zone: config.BATCH_TIME_ZONE,
    bufferMs: config.BATCH_BUFFER_MS,
    initialLookbackMs: config.BATCH_INITIAL_LOOKBACK_MS,
    maxRunsPerTick: config.BATCH_MAX_RUNS_PER_TICK,
    dirtyBatchSize: config.BATCH_DIRTY_BATCH_SIZE,
    energy: { method: config.ENERGY_METHOD, maxGapMs: config.ENERGY_MAX_GAP_MS },
    retry: { baseMs: config.BATCH_RETRY_BASE_MS, maxMs: config.BATCH_RETRY_MAX_MS },
    runner: `${hostname()}:${process.pid}`,
  };
}

/** Scheduled, idempotent hourly/daily rollups from `readings`, dirty buckets, backfill. */
@Module({
  providers: [
    {
      provide: RollupsRepository,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => new RollupsRepository(pool),
    },
    {
      provide: BatchRunsRepository,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => new BatchRunsRepository(pool),
    },
    {
      provide: DirtyBucketsRepository,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => new DirtyBucketsRepository(pool),
    },
    {
      provide: BatchLayerService,
      inject: [
        PG_POOL,
        RollupsRepository,
        BatchRunsRepository,
        DirtyBucketsRepository,
        AGGREGATOR_CONFIG,
      ],
      useFactory: (
        pool: Pool,
        rollups: RollupsRepository,
        runs: BatchRunsRepository,
        dirty: DirtyBucketsRepository,
        config: AggregatorConfig,
      ) =>
        new BatchLayerService(
          pool,
          rollups,
          runs,
          dirty,
          batchLayerSettings(config),
          batchLayerMetrics(),
        ),
    },
    {
      provide: BatchLayerScheduler,
      inject: [BatchLayerService, PG_POOL, AGGREGATOR_CONFIG],
      useFactory: (batch: BatchLayerService, pool: Pool, config: AggregatorConfig) =>
        new BatchLayerScheduler(batch, new SchedulerLock(pool, 'sluice.batch-layer'), {
          enabled: config.BATCH_ENABLED,
          intervalMs: config.BATCH_TICK_INTERVAL_MS,
        }),
    },
  ],
  exports: [BatchLayerService, RollupsRepository, BatchRunsRepository],
})
export class BatchLayerModule {}
