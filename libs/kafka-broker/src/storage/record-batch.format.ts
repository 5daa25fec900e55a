import { crc32c } from './crc32c';

/**
 * Byte layout of a magic-2 Kafka record batch header. Everything after the CRC field
 * (attributes..end) is covered by the CRC-32C; baseOffset, batchLength, partitionLeaderEpoch and
 * magic are not, which is why the broker may rewrite baseOffset without touching the CRC.
 */
export const BatchField = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
} as const;

/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const BATCH_LOG_OVERHEAD = 12;
export const BATCH_HEADER_BYTES = 61;
export const CRC_START = BatchField.ATTRIBUTES;
export const SUPPORTED_MAGIC = 2;
/** attributes bit 3: the batch's timestamps are the broker's append time, not the producer's. */
export const LOG_APPEND_TIME_FLAG = 0x08;

/** A batch too large for any sane produce request; guards against reading garbage lengths. */
const MAX_BATCH_BYTES = 0x7fff_ffff;

export interface BatchHeader {
  /** byte position of the batch inside the buffer that was inspected */
  position: number;
  /** total size in bytes, including the 12-byte log overhead */
  size: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
  recordCount: number;
  attributes: number;
  maxTimestamp: number;
}

export type BatchInspection =
  | { kind: 'ok'; header: BatchHeader }
  /** the buffer ends before the batch does: a torn tail on disk, or a truncated request */
  | { kind: 'incomplete'; needBytes: number }
  | { kind: 'bad-magic'; magic: number }
  | { kind: 'corrupt'; reason: string };

/**
 * Inspects the batch starting at `position`: framing, magic, CRC-32C and offset/count sanity.
 * Per-batch work only; the records themselves are never decoded (they may be compressed).
 */
export function inspectBatch(buf: Buffer, position: number, verifyCrc = true): BatchInspection {
  const available = buf.length - position;
  if (available < BATCH_LOG_OVERHEAD) {
    return { kind: 'incomplete', needBytes: BATCH_LOG_OVERHEAD };
  }
  const batchLength = buf.readInt32BE(position + BatchField.BATCH_LENGTH);
  const size = BATCH_LOG_OVERHEAD + batchLength;
  if (
    batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD ||
    batchLength > MAX_BATCH_BYTES - BATCH_LOG_OVERHEAD
  ) {
    return {
      kind: 'corrupt',
      reason: `batchLength ${batchLength} is outside ${BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD}..${MAX_BATCH_BYTES}`,
    };
  }
  if (available < BatchField.MAGIC + 1) {
    return { kind: 'incomplete', needBytes: size };
  }
  const magic = buf.readInt8(position + BatchField.MAGIC);
  if (magic !== SUPPORTED_MAGIC) {
    return { kind: 'bad-magic', magic };
  }
  if (available < size) {
    return { kind: 'incomplete', needBytes: size };
  }
  if (verifyCrc) {
    const stored = buf.readUInt32BE(position + BatchField.CRC);
    const computed = crc32c(buf.subarray(position + CRC_START, position + size));
    if (stored !== computed) {
      return {
        kind: 'corrupt',
        reason: `CRC-32C mismatch: stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`,
      };
    }
  }
  const lastOffsetDelta = buf.readInt32BE(position + BatchField.LAST_OFFSET_DELTA);
  const recordCount = buf.readInt32BE(position + BatchField.RECORD_COUNT);
  // Offsets must stay contiguous for consumers: a produced batch holds exactly
  // lastOffsetDelta + 1 records (no compaction gaps exist in a log we write ourselves).
  if (recordCount < 1 || lastOffsetDelta !== recordCount - 1) {
    return {
      kind: 'corrupt',
      reason: `record count ${recordCount} does not match lastOffsetDelta ${lastOffsetDelta}`,
    };
  }
  return {
    kind: 'ok',
    header: {
      position,
      size,
      baseOffset: buf.readBigInt64BE(position + BatchField.BASE_OFFSET),
      lastOffsetDelta,
      recordCount,
      attributes: buf.readInt16BE(position + BatchField.ATTRIBUTES),
      maxTimestamp: Number(buf.readBigInt64BE(position + BatchField.MAX_TIMESTAMP)),
    },
  };
}

/** Reads just the fields a reader needs to walk already-validated batches on disk. */
export function readStoredBatchBounds(
  buf: Buffer,
  position: number,
): { size: number; baseOffset: bigint; lastOffsetDelta: number; maxTimestamp: number } | null {
  if (buf.length - position < BATCH_HEADER_BYTES) return null;
  return {
    size: BATCH_LOG_OVERHEAD + buf.readInt32BE(position + BatchField.BATCH_LENGTH),
    baseOffset: buf.readBigInt64BE(position + BatchField.BASE_OFFSET),
    lastOffsetDelta: buf.readInt32BE(position + BatchField.LAST_OFFSET_DELTA),
    maxTimestamp: Number(buf.readBigInt64BE(position + BatchField.MAX_TIMESTAMP)),
  };
}

/** Rewrites maxTimestamp (inside the CRC) and recomputes the CRC: used for LogAppendTime batches. */
export function stampLogAppendTime(
  buf: Buffer,
  position: number,
  size: number,
  appendTimeMs: bigint,
): void {
  buf.writeBigInt64BE(appendTimeMs, position + BatchField.MAX_TIMESTAMP);
  buf.writeUInt32BE(
    crc32c(buf.subarray(position + CRC_START, position + size)),
    position + BatchField.CRC,
  );
}
