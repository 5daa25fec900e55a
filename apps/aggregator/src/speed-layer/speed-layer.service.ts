import { deviceKey, encodeRecord, type CleanReadingBatch, type DlqRecord } from '@sluice/contracts';
import type { ConsumedBatch, KafkaProducer } from '@sluice/kafka';
import {
  acknowledgeClosedWindows,
  applyBatch,
  claimClosedWindows,
  deleteTooLate,
  readTooLate,
  type DeviceBatch,
  type SpeedLayerSettings,
  type TooLateEntry,
} from '@sluice/speed-layer';
import type { Redis } from 'ioredis';
import { decodeCleanBatch } from '../clean-records/clean-record.decoder';
import type { SpeedLayerMetrics } from './speed-layer.metrics';

export const SPEED_LAYER_STAGE = 'aggregator-speed-layer';

export interface SpeedLayerTopics {
  dlq: string;
  aggregates: string;
}

export interface WindowCloserSettings {
  graceMs: number;
  leaseMs: number;
  /** Windows claimed (and published) per round trip. */
  batchSize: number;
}

/**
 * Applies consumed clean records to the Redis speed layer (one pipelined round trip per batch),
 * publishes closed windows and sends too-late readings to the DLQ. Every step is replay-safe:
 * the Lua fence skips applied records, and both outboxes are publish-then-remove.
 */
export class SpeedLayerService {
  constructor(
    private readonly redis: Redis,
    private readonly producer: Pick<KafkaProducer, 'send'>,
    private readonly topics: SpeedLayerTopics,
    private readonly settings: SpeedLayerSettings,
    private readonly closer: WindowCloserSettings,
    private readonly metrics: SpeedLayerMetrics,
    private readonly clock: () => number = Date.now,
  ) {}

  async handle(consumed: ConsumedBatch): Promise<void> {
    const now = this.clock();
    const { records, rejections } = decodeCleanBatch(consumed, SPEED_LAYER_STAGE, now);
    if (rejections.length > 0) this.metrics.invalidRecords.inc(rejections.length);
    const batches: DeviceBatch[] = records.map(({ message, batch }) => ({
      tenant: batch.tenant,
      device: batch.device,
      rawPartition: batch.rawPartition,
      rawOffset: batch.rawOffset,
      readings: batch.readings,
      origin: {
        topic: consumed.topic,
        partition: consumed.partition,
        offset: message.offset,
        key: message.key,
      },
    }));

    const stopTimer = this.metrics.applyDuration.startTimer();
    const outcomes = await applyBatch(this.redis, batches, this.settings, now);
    stopTimer();

    const appliedAt = this.clock();
    let tooLate = 0;
    outcomes.forEach((outcome, index) => {
      if (!outcome.applied) {
        this.metrics.recordsFenced.inc();
        return;
      }
      this.metrics.readingsApplied.inc(outcome.readingsApplied);
      tooLate += outcome.readingsTooLate;
      const ingestTs = records[index].ingestTs;
      if (ingestTs !== undefined) {
        this.metrics.ingestToSpeed.observe(Math.max(0, appliedAt - ingestTs) / 1000);
      }
    });
    if (tooLate > 0) {
      this.metrics.readingsTooLate.inc(tooLate);
      await this.drainTooLate();
    }
  }

  /** Publishes the too-late outbox to the DLQ, then deletes what was published. */
  async drainTooLate(): Promise<number> {
    let published = 0;
    for (;;) {
      const entries = await readTooLate(this.redis, 500);
      if (entries.length === 0) return published;
      const now = this.clock();
      await this.producer.send(
        this.topics.dlq,
        entries.flatMap((entry) =>
          tooLateDlqRecords(entry, this.settings, now).map((record) => ({
            key: record.originalKey ?? deviceKey(entry.tenant, entry.device),
            value: encodeRecord(record),
          })),
        ),
      );
      await deleteTooLate(
        this.redis,
        entries.map((entry) => entry.id),
      );
      published += entries.length;
    }
  }

  /** Claims, publishes, then acknowledges every window due for closing; returns how many. */
  async closeDueWindows(): Promise<number> {
    let published = 0;
    for (;;) {
      const claimed = await claimClosedWindows(this.redis, {
        nowMs: this.clock(),
        allowedLatenessMs: this.settings.allowedLatenessMs,
        graceMs: this.closer.graceMs,
        leaseMs: this.closer.leaseMs,
        limit: this.closer.batchSize,
      });
      if (claimed.length === 0) return published;
      await this.producer.send(
        this.topics.aggregates,
        claimed.map(({ aggregate }) => ({
          key: deviceKey(aggregate.tenant, aggregate.device),
          value: encodeRecord(aggregate),
        })),
      );
      await acknowledgeClosedWindows(
        this.redis,
        claimed.map((window) => window.member),
      );
      this.metrics.windowsPublished.inc(claimed.length);
      published += claimed.length;
      if (claimed.length < this.closer.batchSize) return published;
    }
  }
}

/** One DLQ record per too-late reading; its payload is a clean record of that one reading. */
function tooLateDlqRecords(
  entry: TooLateEntry,
  settings: SpeedLayerSettings,
  failedAt: number,
): DlqRecord[] {
  const windowEnd = entry.windowStart + settings.windowMs;
  return entry.readings.map((reading) => {
    const original: CleanReadingBatch = {
      tenant: entry.tenant,
      device: entry.device,
      deviceTags: {},
      rawPartition: entry.rawPartition,
      rawOffset: entry.rawOffset,
      readings: [reading],
    };
    return {
      reason: 'too_late',
      detail:
        `${entry.metric} at ${reading.time}: window [${entry.windowStart}, ${windowEnd}) was ` +
        `closed (allowed lateness ${settings.allowedLatenessMs} ms after its end); ` +
        'stored in readings, left to the batch layer',
      stage: SPEED_LAYER_STAGE,
      sourceTopic: entry.origin.topic,
      sourcePartition: entry.origin.partition,
      sourceOffset: entry.origin.offset,
      originalKey: entry.origin.key,
      originalValue: JSON.stringify(original),
      failedAt,
    };
  });
}
