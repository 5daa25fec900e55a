import {
  createCounter,
  createGauge,
  createHistogram,
  LATENCY_BUCKETS_SECONDS,
  BATCH_SIZE_BUCKETS,
} from '@sluice/metrics';
import type { BatchConsumerObserver } from './batch-consumer';

// Labels are bounded: groups and topics are a handful per service, partitions a few dozen.
const consumerLag = () =>
  createGauge({
    name: 'sluice_kafka_consumer_lag_records',
    help: 'Records between the last processed (or committed) offset and the high watermark, per consumer group and partition, after each batch and on a timer',
    labelNames: ['group', 'topic', 'partition'] as const,
  });
const consumedRecords = () =>
  createCounter({
    name: 'sluice_kafka_consumed_records_total',
    help: 'Kafka records processed by a consumer group (after the handler succeeded)',
    labelNames: ['group', 'topic'] as const,
  });
const batchDuration = () =>
  createHistogram({
    name: 'sluice_kafka_consumer_batch_duration_seconds',
    help: 'Time to process one fetched batch, handler retries included',
    labelNames: ['group', 'topic'] as const,
    buckets: [...LATENCY_BUCKETS_SECONDS],
  });
const batchSize = () =>
  createHistogram({
    name: 'sluice_kafka_consumer_batch_records',
    help: 'Records per fetched batch',
    labelNames: ['group', 'topic'] as const,
    buckets: [...BATCH_SIZE_BUCKETS],
  });
const handlerFailures = () =>
  createCounter({
    name: 'sluice_kafka_consumer_handler_failures_total',
    help: 'Failed attempts of a batch handler (the batch is retried, not skipped)',
    labelNames: ['group', 'topic'] as const,
  });

export function consumerMetricsObserver(): BatchConsumerObserver {
  const lag = consumerLag();
  const records = consumedRecords();
  const duration = batchDuration();
  const size = batchSize();
  const failures = handlerFailures();
  return {
    batchProcessed: (info) => {
      const labels = { group: info.groupId, topic: info.topic };
      lag.set({ ...labels, partition: String(info.partition) }, info.lag);
      records.inc(labels, info.messages);
      duration.observe(labels, info.durationSeconds);
      size.observe(labels, info.messages);
    },
    handlerFailed: (info) => failures.inc({ group: info.groupId, topic: info.topic }),
    lagMeasured: (info) =>
      lag.set(
        { group: info.groupId, topic: info.topic, partition: String(info.partition) },
        info.lag,
      ),
    partitionsRevoked: (info) => {
      for (const { topic, partition } of info.partitions)
        lag.remove({ group: info.groupId, topic, partition: String(partition) });
    },
  };
}

export function producerMetrics() {
  return {
    duration: createHistogram({
      name: 'sluice_kafka_produce_duration_seconds',
      help: 'Time until Kafka acknowledged a produce call (acks=all)',
      labelNames: ['topic'] as const,
      buckets: [...LATENCY_BUCKETS_SECONDS],
    }),
    records: createCounter({
      name: 'sluice_kafka_produced_records_total',
      help: 'Kafka records acknowledged by the cluster',
      labelNames: ['topic'] as const,
    }),
    failures: createCounter({
      name: 'sluice_kafka_produce_failures_total',
      help: 'Produce calls that failed or timed out',
      labelNames: ['topic'] as const,
    }),
  };
}
