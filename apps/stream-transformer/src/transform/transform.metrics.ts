import { createCounter, createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

/** The transformer's metrics (names documented in the app README). */
export function transformMetrics() {
  return {
    recordsProcessed: createCounter({
      name: 'sluice_transformer_records_processed_total',
      help: 'Raw records processed, by outcome (clean: at least one reading passed; rejected: none did)',
      labelNames: ['outcome'] as const,
    }),
    readingsProcessed: createCounter({
      name: 'sluice_transformer_readings_processed_total',
      help: 'Readings that passed validation and normalisation into telemetry.clean',
    }),
    rejected: createCounter({
      name: 'sluice_transformer_rejected_total',
      help: 'DLQ records written (one per refused reading, or per refused record), by reason',
      labelNames: ['reason'] as const,
    }),
    duplicatesDropped: createCounter({
      name: 'sluice_transformer_duplicate_readings_total',
      help: 'Readings repeating an earlier (metric, time) of the same raw record, kept once',
    }),
    unknownDevices: createCounter({
      name: 'sluice_transformer_unknown_device_records_total',
      help: 'Clean records of devices missing from the registry (passed on with empty tags)',
    }),
    staleTagsServed: createCounter({
      name: 'sluice_transformer_stale_device_tags_total',
      help: 'Device tag lookups answered from expired cache entries because the registry failed',
    }),
    batchDuration: createHistogram({
      name: 'sluice_transformer_batch_processing_seconds',
      help: 'Time to transform one consumed batch and produce its outputs',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    ingestToClean: createHistogram({
      name: 'sluice_transformer_ingest_to_clean_seconds',
      help: 'From gateway accept (sluice-ingest-ts header) to the clean record being in Kafka',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
  };
}

export type TransformMetrics = ReturnType<typeof transformMetrics>;
