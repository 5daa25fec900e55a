import {
  encodeRecord,
  type CleanReading,
  type CleanReadingBatch,
  type DlqRecord,
} from '@sluice/contracts';
import {
  observeIngestLatency,
  type ConsumedBatch,
  type ConsumedMessage,
  type KafkaProducer,
} from '@sluice/kafka';
import { decodeCleanBatch } from '../clean-records/clean-record.decoder';
import type { RawSinkMetrics } from './raw-sink.metrics';
import type { ReadingRow, ReadingsRepository } from './readings.repository';

export const RAW_SINK_STAGE = 'aggregator-raw-sink';

/**
 * Stores every reading of a consumed batch of clean records in ONE transaction; the consumer
 * commits the offsets after it. Replays are harmless: the table's key drops rows it already has.
 */
export class RawSinkService {
  constructor(
    private readonly readings: Pick<ReadingsRepository, 'insertBatch'>,
    private readonly producer: Pick<KafkaProducer, 'send'>,
    private readonly dlqTopic: string,
    private readonly metrics: RawSinkMetrics,
    private readonly clock: () => number = Date.now,
    /**
     * Readings older than this at storage are not stored: the batch layer would have to recompute
     * ranges it may already have dropped (retention); they go to the DLQ as `too_late`.
     */
    private readonly maxLatenessMs: number = Number.POSITIVE_INFINITY,
  ) {}

  async handle(consumed: ConsumedBatch): Promise<void> {
    const now = this.clock();
    const { records, rejections } = decodeCleanBatch(consumed, RAW_SINK_STAGE, now);
    const oldestAccepted = now - this.maxLatenessMs;
    const rows: ReadingRow[] = [];
    let tooLate = 0;
    for (const { batch, message } of records) {
      for (const reading of batch.readings) {
        if (reading.time < oldestAccepted) {
          rejections.push(
            tooLateRejection(
              consumed.topic,
              consumed.partition,
              message,
              batch,
              reading,
              this.maxLatenessMs,
              now,
            ),
          );
          tooLate += 1;
          continue;
        }
        rows.push({
          tenant: batch.tenant,
          device: batch.device,
          metric: reading.metric,
          time: reading.time,
          value: reading.value,
          unit: reading.unit,
          anomaly: reading.anomaly,
        });
      }
    }

    const stopTimer = this.metrics.writeDuration.startTimer();
    const inserted = await this.readings.insertBatch(rows);
    stopTimer();
    if (rejections.length > 0) {
      // The speed layer skips the same records without a DLQ entry, so each appears there once.
      await this.producer.send(
        this.dlqTopic,
        rejections.map((rejection) => ({
          key: rejection.originalKey ?? '',
          value: encodeRecord(rejection),
        })),
      );
      this.metrics.invalidRecords.inc(rejections.length - tooLate);
      this.metrics.tooLate.inc(tooLate);
    }

    const storedAt = this.clock();
    this.metrics.rowsInserted.inc(inserted);
    this.metrics.duplicatesSkipped.inc(rows.length - inserted);
    for (const { ingestTs } of records) {
      if (ingestTs !== undefined) {
        this.metrics.ingestToStored.observe(Math.max(0, storedAt - ingestTs) / 1000);
        observeIngestLatency('stored', ingestTs, storedAt);
      }
    }
  }
}

/** One DLQ record per reading beyond the maximum lateness; its payload is a clean record of it. */
function tooLateRejection(
  topic: string,
  partition: number,
  message: ConsumedMessage,
  batch: CleanReadingBatch,
  reading: CleanReading,
  maxLatenessMs: number,
  now: number,
): DlqRecord {
  return {
    reason: 'too_late',
    detail:
      `${reading.metric} at ${reading.time} is older than the maximum lateness ` +
      `(${maxLatenessMs} ms before ${now}); not stored`,
    stage: RAW_SINK_STAGE,
    sourceTopic: topic,
    sourcePartition: partition,
    sourceOffset: message.offset,
    originalKey: message.key,
    originalValue: JSON.stringify({ ...batch, readings: [reading] }),
    failedAt: now,
  };
}
