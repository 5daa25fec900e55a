import { createCounter, createGauge, createHistogram } from '@sluice/metrics';

export function batchLayerMetrics() {
  return {
    runs: createCounter({
      name: 'sluice_batch_runs_total',
      help: 'Batch layer runs by job (hourly, daily, dirty, backfill, retention) and outcome',
      labelNames: ['job', 'status'] as const,
    }),
    runDuration: createHistogram({
      name: 'sluice_batch_run_duration_seconds',
      help: 'Duration of one batch run (one hour, one day, one dirty pass, one backfill)',
      labelNames: ['job'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
    }),
    rowsRead: createCounter({
      name: 'sluice_batch_rows_read_total',
      help: 'Source rows aggregated by the batch layer (readings for hours, hours for days)',
      labelNames: ['job'] as const,
    }),
    rollupsWritten: createCounter({
      name: 'sluice_batch_rollups_written_total',
      help: 'Rollup rows upserted by the batch layer',
      labelNames: ['job'] as const,
    }),
    dirtyBucketsRecomputed: createCounter({
      name: 'sluice_batch_dirty_buckets_recomputed_total',
      help: 'Series-hours recomputed because late readings landed in them',
    }),
    watermarkLag: createGauge({
      name: 'sluice_batch_watermark_lag_seconds',
      help: 'Now minus the batch watermark (everything before it is rolled up), per job',
      labelNames: ['job'] as const,
    }),
  };
}

export type BatchLayerMetrics = ReturnType<typeof batchLayerMetrics>;
