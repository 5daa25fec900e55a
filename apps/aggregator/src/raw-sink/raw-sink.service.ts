import { encodeRecord } from '@sluice/contracts';
import type { ConsumedBatch, KafkaProducer } from '@sluice/kafka';
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
  ) {}

  async handle(consumed: ConsumedBatch): Promise<void> {
    const { records, rejections } = decodeCleanBatch(consumed, RAW_SINK_STAGE, this.clock());
    const rows: ReadingRow[] = [];
    for (const { batch } of records) {
      for (const reading of batch.readings) {
        rows.push({
          tenant: batch.tenant,
          device: batch.device,
          metric: reading.metric,
          time: reading.time,
          value: reading.value,
          unit: reading.unit,
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
      this.metrics.invalidRecords.inc(rejections.length);
    }

    const storedAt = this.clock();
    this.metrics.rowsInserted.inc(inserted);
    this.metrics.duplicatesSkipped.inc(rows.length - inserted);
    for (const { ingestTs } of records) {
      if (ingestTs !== undefined) {
        this.metrics.ingestToStored.observe(Math.max(0, storedAt - ingestTs) / 1000);
      }
    }
  }
}
