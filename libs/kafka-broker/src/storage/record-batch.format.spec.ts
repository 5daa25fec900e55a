import { crc32c } from './crc32c';
import { inspectBatch, LOG_APPEND_TIME_FLAG } from './record-batch.format';
import { batchOf, encodeBatch } from './test-support/record-batch.fixture';

// kafkajs ships its encoders untyped: the real client's encoder, to prove we accept its batches.
const {
  RecordBatch,
}: {
  RecordBatch: (opts: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
} = require('kafkajs/src/protocol/recordBatch/v0');
const Record: (
  opts: Record<string, unknown>,
) => unknown = require('kafkajs/src/protocol/recordBatch/record/v0');
const {
  Types: Compression,
}: { Types: { GZIP: number } } = require('kafkajs/src/protocol/message/compression');

describe('record batch format', () => {
  it('computes the standard CRC-32C check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('accepts a valid batch and reports its header fields', () => {
    const batch = encodeBatch([
      { value: Buffer.from('a'), timestamp: 5 },
      { value: Buffer.from('b'), timestamp: 9 },
    ]);
    const inspection = inspectBatch(batch, 0);
    expect(inspection).toMatchObject({
      kind: 'ok',
      header: {
        position: 0,
        size: batch.length,
        lastOffsetDelta: 1,
        recordCount: 2,
        maxTimestamp: 9,
      },
    });
  });

  it('accepts a gzip batch encoded by kafkajs without decompressing it', async () => {
    const records = [
      Record({ offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'.repeat(500)) }),
      Record({ offsetDelta: 1, value: Buffer.from('w') }),
    ];
    const { buffer } = await RecordBatch({
      compression: Compression.GZIP,
      lastOffsetDelta: 1,
      records,
    });
    const inspection = inspectBatch(buffer, 0);
    expect(inspection.kind).toBe('ok');
    expect(inspection.kind === 'ok' && inspection.header.attributes & 0x07).toBe(Compression.GZIP);
  });

  it('flags any flipped bit covered by the CRC as corrupt', () => {
    const batch = batchOf(3, 10);
    for (const position of [21, 30, 61, batch.length - 1]) {
      const damaged = Buffer.from(batch);
      damaged[position] ^= 0x01;
      expect(inspectBatch(damaged, 0).kind).toBe('corrupt');
    }
  });

  it('reports a batch cut short as incomplete, wherever the cut falls', () => {
    const batch = batchOf(2, 10);
    for (let cut = 0; cut < batch.length; cut++) {
      expect(inspectBatch(batch.subarray(0, cut), 0).kind).toBe('incomplete');
    }
  });

  it('rejects another magic byte and lengths too small for a header', () => {
    const oldMagic = Buffer.from(batchOf(1));
    oldMagic.writeInt8(1, 16);
    expect(inspectBatch(oldMagic, 0)).toEqual({ kind: 'bad-magic', magic: 1 });
    const tiny = Buffer.from(batchOf(1));
    tiny.writeInt32BE(10, 8);
    expect(inspectBatch(tiny, 0).kind).toBe('corrupt');
  });

  it('rejects a record count that disagrees with lastOffsetDelta', () => {
    const batch = batchOf(3, 10);
    batch.writeInt32BE(5, 23);
    batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
    expect(inspectBatch(batch, 0)).toMatchObject({
      kind: 'corrupt',
      reason: expect.stringContaining('lastOffsetDelta'),
    });
  });

  it('treats the log-append-time flag as attribute bit 3', () => {
    expect(LOG_APPEND_TIME_FLAG).toBe(0b1000);
  });
});
