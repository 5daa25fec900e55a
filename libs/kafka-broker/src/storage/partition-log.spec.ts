import { readdirSync } from 'node:fs';
import * as path from 'node:path';

import { crc32c } from './crc32c';
import { LogManager, type LogManagerOptions } from './log-manager';
import type { PartitionLog } from './partition-log';
import { LOG_APPEND_TIME_FLAG } from './record-batch.format';
import { CorruptRecordError, OffsetOutOfRangeError, UnsupportedMagicError } from './storage.errors';
import type { FsyncPolicy } from './storage.types';
import { batchOf, encodeBatch, splitBatches } from './test-support/record-batch.fixture';
import { makeTempDir } from './test-support/temp-dir.fixture';

const TOPIC = 'readings';

async function openLog(
  dataDir: string,
  fsync: FsyncPolicy = { mode: 'always' },
  overrides: Partial<LogManagerOptions> = {},
): Promise<{ manager: LogManager; log: PartitionLog }> {
  const manager = await LogManager.open({
    dataDir,
    defaultPartitions: 1,
    fsync,
    defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 4096 },
    indexIntervalBytes: 512,
    ...overrides,
  });
  if (!manager.hasTopic(TOPIC)) await manager.createTopic(TOPIC);
  return { manager, log: manager.partition(TOPIC, 0)! };
}

/** Reads the whole log from `from`, batch by batch, as a consumer would. */
async function readAll(
  log: PartitionLog,
  from = log.logStartOffset,
  maxBytes = 1 << 20,
): Promise<Buffer[]> {
  const batches: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const data = await log.read(offset, maxBytes);
    let p = 0;
    for (const batch of splitBatches(data)) {
      batches.push(data.subarray(p, p + batch.size));
      p += batch.size;
      offset = batch.baseOffset + BigInt(batch.count);
    }
  }
  return batches;
}

describe('partition log', () => {
  let dir: string;
  let cleanup: () => void;
  let manager: LogManager | undefined;

  beforeEach(() => {
    ({ dir, cleanup } = makeTempDir('partition'));
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    cleanup();
  });

  it('assigns contiguous offsets and reads every batch back byte-identical across segment rolls', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const produced: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const batch = batchOf(1 + (i % 5), 50 + i);
      produced.push(batch);
      const result = await log.append(batch);
      expect(result.lastOffset - result.baseOffset).toBe(BigInt(i % 5));
    }
    const segments = readdirSync(path.join(dir, `${TOPIC}-0`)).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(3);
    expect(segments[0]).toBe('00000000000000000000.log');

    const stored = await readAll(log);
    expect(stored).toHaveLength(produced.length);
    let expectedOffset = 0n;
    stored.forEach((batch, i) => {
      expect(batch.readBigInt64BE(0)).toBe(expectedOffset);
      // Only the baseOffset differs from what the producer sent.
      expect(batch.subarray(8)).toEqual(produced[i].subarray(8));
      expectedOffset += BigInt(batch.readInt32BE(57));
    });
    expect(log.logEndOffset).toBe(expectedOffset);
  });

  it('keeps the CRC valid after rewriting baseOffset (it covers attributes..end only)', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    await log.append(batchOf(7));
    const { baseOffset } = await log.append(batchOf(3));
    expect(baseOffset).toBe(7n);
    const [stored] = splitBatches(await log.read(7n, 1)).map((b) => b);
    expect(stored.baseOffset).toBe(7n);
    const bytes = await log.read(7n, 1);
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes.subarray(21)));
  });

  it('does not modify the caller-supplied buffer', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    await log.append(batchOf(2));
    const batch = batchOf(2);
    const before = Buffer.from(batch);
    await log.append(batch);
    expect(batch).toEqual(before);
  });

  it('rejects a batch with a bad CRC, a wrong magic or a truncated frame and appends nothing', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const corrupt = batchOf(2);
    corrupt[corrupt.length - 1] ^= 0xff;
    await expect(log.append(corrupt)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(log.append(corrupt)).rejects.toMatchObject({
      kafkaErrorCode: 2,
      message: expect.stringContaining('CRC'),
    });
    const magic1 = batchOf(1);
    magic1.writeInt8(1, 16);
    await expect(log.append(magic1)).rejects.toBeInstanceOf(UnsupportedMagicError);
    await expect(
      log.append(Buffer.concat([batchOf(1), batchOf(1).subarray(0, 40)])),
    ).rejects.toBeInstanceOf(CorruptRecordError);
    expect(log.logEndOffset).toBe(0n);
  });

  it('stores several batches from one produce entry with consecutive offsets', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const result = await log.append(Buffer.concat([batchOf(2), batchOf(3), batchOf(4)]));
    expect(result).toMatchObject({ baseOffset: 0n, lastOffset: 8n });
    expect(splitBatches(await log.read(0n, 1 << 20)).map((b) => b.baseOffset)).toEqual([
      0n,
      2n,
      5n,
    ]);
  });

  it('reading from an offset inside a batch returns the whole containing batch first', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(
      dir,
      { mode: 'always' },
      { defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 1 << 20 } },
    ));
    for (let i = 0; i < 40; i++) await log.append(batchOf(10, 30));
    for (const offset of [0n, 5n, 9n, 10n, 123n, 399n]) {
      const [first] = splitBatches(await log.read(offset, 1 << 20));
      expect(first.baseOffset).toBe((offset / 10n) * 10n);
    }
  });

  it('returns one complete batch even when maxBytes is smaller, and only whole batches otherwise', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    for (let i = 0; i < 5; i++) await log.append(batchOf(4, 100));
    const one = await log.read(0n, 10);
    expect(splitBatches(one)).toHaveLength(1);
    expect(one.length).toBeGreaterThan(10);
    const batchSize = one.length;
    const two = await log.read(0n, batchSize * 2 + batchSize / 2);
    expect(splitBatches(two).map((b) => b.baseOffset)).toEqual([0n, 4n]);
  });

  it('returns nothing at the log end and rejects offsets outside the log', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    await log.append(batchOf(3));
    expect((await log.read(3n, 1000)).length).toBe(0);
    await expect(log.read(4n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1n, 1000)).rejects.toMatchObject({ kafkaErrorCode: 1 });
  });

  it('finds the first batch whose max timestamp reaches a given time', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    for (let i = 0; i < 30; i++) {
      await log.append(
        encodeBatch([
          { value: Buffer.alloc(80), timestamp: 1000 + i * 10 },
          { value: Buffer.alloc(80), timestamp: 1005 + i * 10 },
        ]),
      );
    }
    expect(await log.offsetForTimestamp(-2n)).toBe(0n);
    expect(await log.offsetForTimestamp(-1n)).toBe(60n);
    expect(await log.offsetForTimestamp(0n)).toBe(0n);
    expect(await log.offsetForTimestamp(1005n)).toBe(0n);
    expect(await log.offsetForTimestamp(1006n)).toBe(2n);
    expect(await log.offsetForTimestamp(1150n)).toBe(30n);
    expect(await log.offsetForTimestamp(1295n)).toBe(58n);
    expect(await log.offsetForTimestamp(1296n)).toBe(60n);
  });

  it('stamps the append time into maxTimestamp of log-append-time batches and keeps the CRC valid', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const before = Date.now();
    const { logAppendTimeMs } = await log.append(
      batchOf(2, 10, { attributes: LOG_APPEND_TIME_FLAG, timestamp: 42 }),
    );
    const stored = await log.read(0n, 1000);
    expect(stored.readBigInt64BE(35)).toBe(logAppendTimeMs);
    expect(Number(logAppendTimeMs)).toBeGreaterThanOrEqual(before);
    expect(stored.readUInt32BE(17)).toBe(crc32c(stored.subarray(21)));
  });

  it.each<[string, FsyncPolicy]>([
    ['always', { mode: 'always' }],
    ['interval', { mode: 'interval', intervalMs: 5 }],
  ])('serialises concurrent appends into a contiguous log (fsync %s)', async (_name, fsync) => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir, fsync));
    const appends = Array.from({ length: 200 }, (_, i) => log.append(batchOf(1 + (i % 3), 20)));
    const results = await Promise.all(appends);
    let expected = 0n;
    for (const [i, result] of results.entries()) {
      expect(result.baseOffset).toBe(expected);
      expected += BigInt(1 + (i % 3));
    }
    expect(log.logEndOffset).toBe(expected);
    expect((await readAll(log)).length).toBe(200);
  });

  it('emits append with the new log end offset', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const seen: bigint[] = [];
    log.on('append', (end: bigint) => seen.push(end));
    await log.append(batchOf(2));
    await log.append(batchOf(3));
    expect(seen).toEqual([2n, 5n]);
  });

  it('lets reads run while appends are in flight and never shows a batch past the log end it read', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    const appends = Array.from({ length: 100 }, () => log.append(batchOf(5, 40)));
    const reads: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const end = log.logEndOffset;
      reads.push(
        log.read(0n, 1 << 20).then((data) => {
          const batches = splitBatches(data);
          const last = batches[batches.length - 1];
          if (last)
            expect(last.baseOffset + BigInt(last.count)).toBeLessThanOrEqual(log.logEndOffset);
          if (end === 0n) expect(batches.length).toBe(0);
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([...appends, ...reads]);
  });

  it('keeps every batch after close and reopen', async () => {
    let log: PartitionLog;
    ({ manager, log } = await openLog(dir));
    for (let i = 0; i < 30; i++) await log.append(batchOf(3, 60));
    const before = await readAll(log);
    await manager.close();
    ({ manager, log } = await openLog(dir));
    expect(log.logEndOffset).toBe(90n);
    expect(await readAll(log)).toEqual(before);
    expect((await log.append(batchOf(1))).baseOffset).toBe(90n);
  });
});
