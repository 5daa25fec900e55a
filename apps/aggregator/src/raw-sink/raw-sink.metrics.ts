import { createCounter, createHistogram, LATENCY_BUCKETS_SECONDS } from '@sluice/metrics';

export function rawSinkMetrics() {
  return {
    rowsInserted: createCounter({
      name: 'sluice_raw_sink_rows_inserted_total',
      help: 'Readings stored in the readings table (new rows)',
    }),
    duplicatesSkipped: createCounter({
      name: 'sluice_raw_sink_duplicate_rows_total',
      help: 'Readings whose (tenant, device, metric, time) was already stored: replays and re-sends',
    }),
    invalidRecords: createCounter({
      name: 'sluice_raw_sink_invalid_records_total',
      help: 'Clean records violating the contract, sent to the DLQ',
    }),
    tooLate: createCounter({
      name: 'sluice_raw_sink_readings_too_late_total',
      help: 'Readings older than BATCH_MAX_LATENESS_MS at storage: not stored, sent to the DLQ as too_late',
    }),
    writeDuration: createHistogram({
      name: 'sluice_raw_sink_write_seconds',
      help: 'Time of the one transaction that stores a consumed batch',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    ingestToStored: createHistogram({
      name: 'sluice_raw_sink_ingest_to_stored_seconds',
      help: 'From gateway accept (sluice-ingest-ts header) to the row being committed, per record',
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
  };
}

export type RawSinkMetrics = ReturnType<typeof rawSinkMetrics>;
