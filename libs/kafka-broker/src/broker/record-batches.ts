import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, BatchField } from '../storage';

/**
 * Number of records in a run of whole record batches, read from the batch headers only (the
 * records themselves may be compressed and are never decoded). For metrics.
 */
export function countRecords(batches: Buffer): number {
  let count = 0;
  let pos = 0;
  while (pos + BATCH_HEADER_BYTES <= batches.length) {
    count += batches.readInt32BE(pos + BatchField.RECORD_COUNT);
    pos += BATCH_LOG_OVERHEAD + batches.readInt32BE(pos + BatchField.BATCH_LENGTH);
  }
  return count;
}
