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
  const clean: CleanReading[] = [];
  for (const raw of readings as unknown[]) {
    if (!isPlainObject(raw)) return undefined;
    const { metric, time, value, unit, anomaly } = raw;
    if (
      !quickCheck.metricName(metric) ||
      !quickCheck.epochMs(time) ||
      !quickCheck.finiteNumber(value) ||
      (unit !== undefined && !quickCheck.unit(unit)) ||
      (anomaly !== undefined && typeof anomaly !== 'boolean')
    ) {
      return undefined;
    }
    // the schema's output: known fields only, optional ones only when present
    const reading: CleanReading = { metric, time, value };
    if (unit !== undefined) reading.unit = unit;
    if (anomaly !== undefined) reading.anomaly = anomaly;
    clean.push(reading);
  }
  return {
    tenant,
    device,
    deviceTags,
    rawPartition: rawPartition as number,
    rawOffset,
    readings: clean,
  };
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
