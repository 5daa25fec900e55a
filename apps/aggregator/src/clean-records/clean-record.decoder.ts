import {
  CleanReadingBatchSchema,
  decodeRecord,
  isPlainObject,
  quickCheck,
  readIngestTs,
  RecordDecodeError,
  type CleanReading,
  type CleanReadingBatch,
  type DlqRecord,
} from '@sluice/contracts';
import type { ConsumedBatch, ConsumedMessage } from '@sluice/kafka';

export interface DecodedCleanRecord {
  message: ConsumedMessage;
  batch: CleanReadingBatch;
  /** Gateway accept time (header), for end-to-end latency; undefined when absent. */
  ingestTs: number | undefined;
}

export interface DecodedCleanBatch {
  records: DecodedCleanRecord[];
  /** Records that violate the clean contract (a foreign producer): DLQ material, never a crash. */
  rejections: DlqRecord[];
}

const DECIMAL_OFFSET = /^\d+$/;

/**
 * `CleanReadingBatchSchema`'s result for a plainly valid record (what the stream-transformer
 * writes), checked in plain JavaScript: both consumers of every clean record spent more on zod
 * than on the rest of decoding. undefined sends the record through the schema for the verdict.
 */
function quickCleanBatch(parsed: unknown): CleanReadingBatch | undefined {
  if (!isPlainObject(parsed)) return undefined;
  const { tenant, device, deviceTags, rawPartition, rawOffset, readings } = parsed;
  if (
    !quickCheck.tenantId(tenant) ||
    !quickCheck.deviceId(device) ||
    !quickCheck.tags(deviceTags) ||
    !Number.isSafeInteger(rawPartition) ||
    (rawPartition as number) < 0 ||
    typeof rawOffset !== 'string' ||
    !DECIMAL_OFFSET.test(rawOffset) ||
    !Array.isArray(readings) ||
    readings.length === 0
  ) {
    return undefined;
  }
  let checkedMetric: string | undefined;
  for (let index = 0; index < readings.length; index++) {
    const raw: unknown = readings[index];
    if (!isPlainObject(raw)) return undefined;
    const { metric, time, value, unit, anomaly } = raw;
    // A record's readings mostly share one metric: its name is checked once per run of them.
    if (checkedMetric === undefined || metric !== checkedMetric) {
      if (!quickCheck.metricName(metric)) return undefined;
      checkedMetric = metric;
    }
    if (
      !quickCheck.epochMs(time) ||
      !quickCheck.finiteNumber(value) ||
      (unit !== undefined && !quickCheck.unit(unit)) ||
      (anomaly !== undefined && typeof anomaly !== 'boolean')
    ) {
      return undefined;
    }
    const knownFields = 3 + (unit === undefined ? 0 : 1) + (anomaly === undefined ? 0 : 1);
    // Readings are kept as parsed (copying each one cost more than the check); only one carrying
    // unknown fields is rebuilt, since the schema's output holds the known fields only.
    if (fieldCount(raw) !== knownFields) {
      const known: CleanReading = { metric: metric as string, time, value };
      if (unit !== undefined) known.unit = unit;
      if (anomaly !== undefined) known.anomaly = anomaly;
      readings[index] = known;
    }
  }
  return {
    tenant,
    device,
    deviceTags,
    rawPartition: rawPartition as number,
    rawOffset,
    readings: readings as CleanReading[],
  };
}

function fieldCount(object: Record<string, unknown>): number {
  let count = 0;
  for (const _ in object) count++;
  return count;
}

function decodeClean(value: Buffer): CleanReadingBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    // the schema path reports the parse error in its own words
    return decodeRecord(CleanReadingBatchSchema, value);
  }
  return quickCleanBatch(parsed) ?? decodeRecord(CleanReadingBatchSchema, value);
}

/** Decodes a consumed batch of `telemetry.clean.v1`; shared by the raw sink and the speed layer. */
export function decodeCleanBatch(
  consumed: ConsumedBatch,
  stage: string,
  now: number,
): DecodedCleanBatch {
  const records: DecodedCleanRecord[] = [];
  const rejections: DlqRecord[] = [];
  for (const message of consumed.messages) {
    try {
      records.push({
        message,
        batch: decodeClean(message.value),
        ingestTs: readIngestTs(message.headers),
      });
    } catch (error) {
      if (!(error instanceof RecordDecodeError)) throw error;
      rejections.push({
        reason: error.kind,
        detail: error.message,
        stage,
        sourceTopic: consumed.topic,
        sourcePartition: consumed.partition,
        sourceOffset: message.offset,
        originalKey: message.key,
        originalValue: message.value.toString('utf8'),
        failedAt: now,
      });
    }
  }
  return { records, rejections };
}
