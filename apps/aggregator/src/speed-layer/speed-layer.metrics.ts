import { createCounter, createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

export function speedLayerMetrics() {
  return {
    readingsApplied: createCounter({
      name: 'sluice_speed_layer_readings_applied_total',
      help: 'Readings applied to speed-layer windows and latest values',
    }),
    recordsFenced: createCounter({
      name: 'sluice_speed_layer_records_fenced_total',
      help: 'Clean records skipped because their raw offset was already applied (replays)',
    }),
    readingsTooLate: createCounter({
      name: 'sluice_speed_layer_readings_too_late_total',
      help: 'Readings refused because their window closed more than the allowed lateness ago',
    }),
    invalidRecords: createCounter({
      name: 'sluice_speed_layer_invalid_records_total',
      help: 'Clean records violating the contract, skipped (the raw sink sends them to the DLQ)',
    }),
    windowsPublished: createCounter({
      name: 'sluice_speed_layer_windows_published_total',
      help: 'Closed windows published to aggregates.1m (republications after a crash included)',
    }),
    applyDuration: createHistogram({
      name: 'sluice_speed_layer_apply_seconds',
      help: 'Time of the one pipelined Redis round trip applying a consumed batch',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    ingestToSpeed: createHistogram({
      name: 'sluice_speed_layer_ingest_to_applied_seconds',
      help: 'From gateway accept (sluice-ingest-ts header) to the record being applied in Redis',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
  };
}

export type SpeedLayerMetrics = ReturnType<typeof speedLayerMetrics>;
