import {
  BATCH_SIZE_BUCKETS,
  LATENCY_BUCKETS_SECONDS,
  createCounter,
  createGauge,
  createHistogram,
} from '@sluice/metrics';

export const readingsAccepted = createCounter({
  name: 'sluice_gateway_readings_accepted_total',
  help: 'Readings acknowledged by Kafka and answered 2xx, by ingest source',
  labelNames: ['source'] as const,
});

export const readingsRejected = createCounter({
  name: 'sluice_gateway_readings_rejected_total',
  help: 'Readings refused (4xx/5xx) in requests whose body could be parsed, by reason',
  labelNames: ['reason'] as const,
});

export const ingestRequestsRejected = createCounter({
  name: 'sluice_gateway_ingest_requests_rejected_total',
  help: 'Ingest requests refused, by reason (includes bodies that could not be parsed at all)',
  labelNames: ['reason'] as const,
});

export const ingestBatchSize = createHistogram({
  name: 'sluice_gateway_ingest_batch_readings',
  help: 'Readings per accepted ingest request',
  buckets: [...BATCH_SIZE_BUCKETS],
});

export const kafkaProduceDuration = createHistogram({
  name: 'sluice_gateway_kafka_produce_duration_seconds',
  help: 'Time from sending a request’s records to Kafka until all were acknowledged (acks=all)',
  labelNames: ['outcome'] as const,
  buckets: [...LATENCY_BUCKETS_SECONDS],
});

export const ingestInflightBytes = createGauge({
  name: 'sluice_gateway_ingest_inflight_bytes',
  help: 'Bytes of raw records sent to Kafka and not yet acknowledged (bounded by INGEST_MAX_INFLIGHT_BYTES)',
});
