import {
  CleanReadingBatchSchema,
  decodeRecord,
  readIngestTs,
  RecordDecodeError,
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
        batch: decodeRecord(CleanReadingBatchSchema, message.value),
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
