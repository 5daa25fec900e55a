import {
  buildHeaders,
  deviceKey,
  encodeRecord,
  isValidTraceparent,
  readIngestTs,
  RecordHeaders,
  type CleanReadingBatch,
  type DlqReason,
  type DlqRecord,
} from '@sluice/contracts';
import {
  observeIngestLatency,
  type ConsumedBatch,
  type ConsumedMessage,
  type KafkaProducer,
  type OutgoingRecord,
} from '@sluice/kafka';
import type {
  AnomalyDetectionService,
  ConsumedRange,
} from '../anomaly-detection/anomaly-detection.service';
import type { DeviceTagsCache } from '../enrichment/device-tags.cache';
import {
  transformRawRecord,
  type AcceptedReadings,
  type RawRecordOutcome,
  type TimestampWindow,
} from './raw-record.transformer';
import type { TransformMetrics } from './transform.metrics';

export interface TransformTopics {
  clean: string;
  dlq: string;
}

/**
 * Turns one consumed batch of raw records into clean and DLQ records: one clean record per raw
 * record with at least one valid reading, one DLQ record per refused reading or record. All outputs
 * of the batch go out in ONE producer call; the consumer commits after it resolves, so a crash
 * replays the batch and the clean records' raw position lets consumers drop the duplicates.
 */
export class TelemetryTransformService {
  constructor(
    private readonly producer: Pick<KafkaProducer, 'sendBatch'>,
    private readonly tags: DeviceTagsCache,
    private readonly window: TimestampWindow,
    private readonly topics: TransformTopics,
    private readonly metrics: TransformMetrics,
    private readonly clock: () => number = Date.now,
    /** Flags anomalous readings and adds alerts.v1 records to the same produce call. */
    private readonly anomalies?: Pick<AnomalyDetectionService, 'inspect'>,
  ) {}

  async handle(batch: ConsumedBatch): Promise<void> {
    const stopTimer = this.metrics.batchDuration.startTimer();
    const now = this.clock();
    const results = batch.messages.map((message) => ({
      message,
      outcome: transformRawRecord(
        { topic: batch.topic, partition: batch.partition, message },
        this.window,
        now,
      ),
    }));

    const acceptedDevices: AcceptedReadings[] = [];
    for (const { outcome } of results) if (outcome.accepted) acceptedDevices.push(outcome.accepted);
    const tagsByDevice = await this.tags.lookup(acceptedDevices);

    const clean: Array<{ value: CleanReadingBatch; key: string; headers: Record<string, string> }> =
      [];
    const dlq: OutgoingRecord[] = [];
    const ingestTimes: number[] = [];
    let unknownDevices = 0;
    for (const { message, outcome } of results) {
      for (const rejection of outcome.rejections) dlq.push(dlqRecord(message, rejection));
      const accepted = outcome.accepted;
      if (!accepted) continue;
      const key = deviceKey(accepted.tenant, accepted.device);
      const lookup = tagsByDevice.get(key);
      if (!lookup?.known) unknownDevices += 1;
      const value: CleanReadingBatch = {
        tenant: accepted.tenant,
        device: accepted.device,
        deviceTags: lookup?.tags ?? {},
        rawPartition: batch.partition,
        rawOffset: message.offset,
        readings: accepted.readings,
      };
      const ingestTs = readIngestTs(message.headers) ?? accepted.receivedAt;
      ingestTimes.push(ingestTs);
      clean.push({
        value,
        key: message.key ?? key,
        headers: forwardedHeaders(message, ingestTs),
      });
    }

    // detection flags readings before they are encoded; its state is saved once Kafka has the records
    let ingestTsOf: Map<CleanReadingBatch, number> | undefined; // only alerts need it: built on demand
    const inspection = await this.anomalies?.inspect(
      clean.map(({ value }) => value),
      (value) => {
        ingestTsOf ??= new Map(clean.map((entry, i) => [entry.value, ingestTimes[i]]));
        return ingestTsOf.get(value) ?? now;
      },
      consumedRange(batch),
    );
    await this.producer.sendBatch([
      {
        topic: this.topics.clean,
        records: clean.map(({ value, key, headers }) => ({
          key,
          headers,
          value: encodeRecord(value),
        })),
      },
      { topic: this.topics.dlq, records: dlq },
      ...(inspection ? [{ topic: inspection.alertsTopic, records: inspection.alerts }] : []),
    ]);
    await inspection?.commit();

    const sentAt = this.clock();
    for (const ingestTs of ingestTimes) {
      this.metrics.ingestToClean.observe(Math.max(0, sentAt - ingestTs) / 1000);
      observeIngestLatency('clean', ingestTs, sentAt);
    }
    this.record(
      results.map((r) => r.outcome),
      unknownDevices,
    );
    stopTimer();
  }

  /** Counted per batch: a labelled counter increment per record was a visible share of the CPU. */
  private record(outcomes: RawRecordOutcome[], unknownDevices: number): void {
    let cleanRecords = 0;
    let readings = 0;
    let duplicates = 0;
    const rejectedByReason = new Map<DlqReason, number>();
    for (const outcome of outcomes) {
      if (outcome.accepted) {
        cleanRecords += 1;
        readings += outcome.accepted.readings.length;
      }
      for (const { reason } of outcome.rejections)
        rejectedByReason.set(reason, (rejectedByReason.get(reason) ?? 0) + 1);
      duplicates += outcome.duplicatesDropped;
    }
    if (cleanRecords > 0) this.metrics.recordsProcessed.inc({ outcome: 'clean' }, cleanRecords);
    if (outcomes.length > cleanRecords)
      this.metrics.recordsProcessed.inc({ outcome: 'rejected' }, outcomes.length - cleanRecords);
    if (readings > 0) this.metrics.readingsProcessed.inc(readings);
    for (const [reason, count] of rejectedByReason) this.metrics.rejected.inc({ reason }, count);
    if (duplicates > 0) this.metrics.duplicatesDropped.inc(duplicates);
    if (unknownDevices > 0) this.metrics.unknownDevices.inc(unknownDevices);
  }
}

function consumedRange(batch: ConsumedBatch): ConsumedRange | undefined {
  const last = batch.messages.at(-1);
  if (last === undefined) return undefined;
  return {
    topic: batch.topic,
    partition: batch.partition,
    firstOffset: batch.messages[0].offset,
    nextOffset: String(BigInt(last.offset) + 1n),
  };
}

/** Raw headers go along (trace context, ingest time) with this record's schema version. */
function forwardedHeaders(message: ConsumedMessage, ingestTs: number): Record<string, string> {
  const traceparent = message.headers[RecordHeaders.traceparent];
  return {
    ...message.headers,
    ...buildHeaders({
      ingestTs,
      traceparent: isValidTraceparent(traceparent) ? traceparent : undefined,
    }),
  };
}

function dlqRecord(message: ConsumedMessage, rejection: DlqRecord): OutgoingRecord {
  const ingestTs = readIngestTs(message.headers) ?? rejection.failedAt;
  return {
    // Keyed like its source so a device's refusals stay ordered; undecodable keyless input
    // shares one key.
    key: message.key ?? '',
    value: encodeRecord(rejection),
    headers: forwardedHeaders(message, ingestTs),
  };
}
