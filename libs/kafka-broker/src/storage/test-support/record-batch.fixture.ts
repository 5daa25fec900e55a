import { crc32c } from '../crc32c';

/**
 * Minimal magic-2 record batch encoder for storage tests: uncompressed records with a key,
 * a value and no headers, encoded exactly as Kafka clients do (zigzag varints, CRC-32C over
 * attributes..end).
 */
export interface FixtureRecord {
  key?: Buffer | null;
  value: Buffer;
  timestamp?: number;
}

export interface FixtureBatchOptions {
  /** written into the baseOffset field; producers send 0, the broker rewrites it */
  baseOffset?: bigint;
  attributes?: number;
  /** timestamp for records that do not set one */
  timestamp?: number;
}

export function encodeBatch(records: FixtureRecord[], options: FixtureBatchOptions = {}): Buffer {
  const defaultTimestamp = options.timestamp ?? 1_700_000_000_000;
  const timestamps = records.map((r) => r.timestamp ?? defaultTimestamp);
  const baseTimestamp = Math.min(...timestamps);
  const maxTimestamp = Math.max(...timestamps);
  const body = Buffer.concat(
    records.map((record, i) => encodeRecord(record, i, timestamps[i] - baseTimestamp)),
  );
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(options.baseOffset ?? 0n, 0);
  header.writeInt32BE(61 - 12 + body.length, 8);
  header.writeInt32BE(-1, 12); // partitionLeaderEpoch
  header.writeInt8(2, 16); // magic
  header.writeInt16BE(options.attributes ?? 0, 21);
  header.writeInt32BE(records.length - 1, 23);
  header.writeBigInt64BE(BigInt(baseTimestamp), 27);
  header.writeBigInt64BE(BigInt(maxTimestamp), 35);
  header.writeBigInt64BE(-1n, 43); // producerId
  header.writeInt16BE(-1, 51); // producerEpoch
  header.writeInt32BE(-1, 53); // baseSequence
  header.writeInt32BE(records.length, 57);
  const batch = Buffer.concat([header, body]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** A batch of `count` records whose values are `valueBytes` long and name their index. */
export function batchOf(
  count: number,
  valueBytes = 100,
  options: FixtureBatchOptions = {},
): Buffer {
  return encodeBatch(
    Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(valueBytes, `value-${i}|`) })),
    options,
  );
}

/** Splits concatenated stored batches into their (baseOffset, recordCount, size) headers. */
export function splitBatches(
  buf: Buffer,
): Array<{ baseOffset: bigint; count: number; size: number; maxTimestamp: bigint }> {
  const out = [];
  let p = 0;
  while (p < buf.length) {
    const size = 12 + buf.readInt32BE(p + 8);
    out.push({
      baseOffset: buf.readBigInt64BE(p),
      count: buf.readInt32BE(p + 57),
      size,
      maxTimestamp: buf.readBigInt64BE(p + 35),
    });
    p += size;
  }
  return out;
}

function encodeRecord(record: FixtureRecord, offsetDelta: number, timestampDelta: number): Buffer {
  const key = record.key ?? null;
  const parts: Buffer[] = [
    Buffer.from([0]), // attributes
    varint(timestampDelta),
    varint(offsetDelta),
    varint(key === null ? -1 : key.length),
    ...(key === null ? [] : [key]),
    varint(record.value.length),
    record.value,
    varint(0), // header count
  ];
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length), body]);
}

function varint(value: number): Buffer {
  let zigzag = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const bytes: number[] = [];
  while (zigzag >= 0x80n) {
    bytes.push(Number(zigzag & 0x7fn) | 0x80);
    zigzag >>= 7n;
  }
  bytes.push(Number(zigzag));
  return Buffer.from(bytes);
}
