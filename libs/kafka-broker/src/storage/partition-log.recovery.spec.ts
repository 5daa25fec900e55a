import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';

import { LogManager } from './log-manager';
import { PartitionLog } from './partition-log';
import type { RecoveryEvent } from './storage.types';
import { batchOf, splitBatches } from './test-support/record-batch.fixture';
import { makeTempDir } from './test-support/temp-dir.fixture';

const BIG_SEGMENTS = { retentionMs: null, retentionBytes: null, segmentBytes: 1 << 20 };

function openPartition(
  dir: string,
  events: RecoveryEvent[] = [],
  segmentBytes = 1 << 20,
): Promise<PartitionLog> {
  return PartitionLog.open({
    dir,
    topic: 't',
    partition: 0,
    config: { ...BIG_SEGMENTS, segmentBytes },
    fsync: { mode: 'always' },
    indexIntervalBytes: 256,
    onRecovery: (event) => events.push(event),
  });
}

async function readOffsets(log: PartitionLog): Promise<bigint[]> {
  const bases: bigint[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    for (const batch of splitBatches(await log.read(offset, 1 << 20))) {
      bases.push(batch.baseOffset);
      offset = batch.baseOffset + BigInt(batch.count);
    }
  }
  return bases;
}

describe('partition log recovery', () => {
  let root: string;
  let cleanup: () => void;

  beforeEach(() => {
    ({ dir: root, cleanup } = makeTempDir('recovery'));
  });

  afterEach(() => cleanup());

  it('truncates a torn last batch at every cut position and continues contiguously', async () => {
    const source = path.join(root, 'source');
    const log = await openPartition(source);
    await log.append(batchOf(3, 20));
    await log.append(batchOf(2, 20));
    const lastBatch = batchOf(4, 15);
    await log.append(lastBatch);
    await log.close();
    const segmentFile = '00000000000000000000.log';
    const full = readFileSync(path.join(source, segmentFile));
    const completeBytes = full.length - lastBatch.length;

    for (let cut = completeBytes + 1; cut < full.length; cut++) {
      const dir = path.join(root, `cut-${cut}`);
      mkdirSync(dir);
      writeFileSync(path.join(dir, segmentFile), full.subarray(0, cut));
      const events: RecoveryEvent[] = [];
      const recovered = await openPartition(dir, events);
      expect(recovered.logEndOffset).toBe(5n);
      expect(statSync(path.join(dir, segmentFile)).size).toBe(completeBytes);
      expect(events).toEqual([
        expect.objectContaining({ action: 'truncated-tail', segment: segmentFile }),
      ]);
      expect(await readOffsets(recovered)).toEqual([0n, 3n]);
      expect((await recovered.append(batchOf(1))).baseOffset).toBe(5n);
      expect(await readOffsets(recovered)).toEqual([0n, 3n, 5n]);
      await recovered.close();
      rmSync(dir, { recursive: true });
    }
  });

  it('truncates at a batch whose bytes were damaged on disk, dropping everything after it', async () => {
    const dir = path.join(root, 'p');
    const log = await openPartition(dir);
    for (let i = 0; i < 4; i++) await log.append(batchOf(2, 30));
    await log.close();
    const file = path.join(dir, '00000000000000000000.log');
    const bytes = readFileSync(file);
    const batchSize = bytes.length / 4;
    bytes[batchSize * 2 + 70] ^= 0x40; // inside the third batch's records
    writeFileSync(file, bytes);
    const events: RecoveryEvent[] = [];
    const recovered = await openPartition(dir, events);
    expect(recovered.logEndOffset).toBe(4n);
    expect(events[0]).toMatchObject({
      action: 'truncated-tail',
      detail: expect.stringContaining('CRC'),
    });
    await recovered.close();
  });

  it('rebuilds a missing or corrupt index of a sealed segment and still seeks correctly', async () => {
    const dir = path.join(root, 'p');
    const log = await openPartition(dir, [], 2048);
    for (let i = 0; i < 40; i++) await log.append(batchOf(3, 40));
    await log.close();
    const indexes = readdirSync(dir)
      .filter((f) => f.endsWith('.index'))
      .sort();
    expect(indexes.length).toBeGreaterThan(3);
    rmSync(path.join(dir, indexes[0]));
    writeFileSync(path.join(dir, indexes[1]), Buffer.from('garbage'));
    truncateSync(path.join(dir, indexes[2]), 16);

    const events: RecoveryEvent[] = [];
    const recovered = await openPartition(dir, events, 2048);
    expect(events.filter((e) => e.action === 'rebuilt-index').map((e) => e.segment)).toEqual(
      indexes.slice(0, 3).map((f) => f.replace('.index', '.log')),
    );
    expect(recovered.logEndOffset).toBe(120n);
    expect(await readOffsets(recovered)).toEqual(
      Array.from({ length: 40 }, (_, i) => BigInt(i * 3)),
    );
    for (const offset of [1n, 50n, 119n]) {
      expect(splitBatches(await recovered.read(offset, 1))[0].baseOffset).toBe((offset / 3n) * 3n);
    }
    await recovered.close();
    // The rebuilt indexes are sealed again: the next open trusts them without a scan.
    const again: RecoveryEvent[] = [];
    await (await openPartition(dir, again, 2048)).close();
    expect(again).toEqual([]);
  });

  it('drops later segments when a sealed segment turns out to end early', async () => {
    const dir = path.join(root, 'p');
    const log = await openPartition(dir, [], 1024);
    for (let i = 0; i < 20; i++) await log.append(batchOf(2, 60));
    await log.close();
    const logs = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    const second = path.join(dir, logs[1]);
    const secondBase = BigInt(logs[1].slice(0, 20));
    truncateSync(second, statSync(second).size - 5);

    const events: RecoveryEvent[] = [];
    const recovered = await openPartition(dir, events, 1024);
    const secondBatches = splitBatches(readFileSync(second));
    const expectedEnd = secondBatches.reduce((end, b) => end + BigInt(b.count), secondBase);
    expect(recovered.logEndOffset).toBe(expectedEnd);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toEqual(logs.slice(0, 2));
    expect(events.map((e) => e.action)).toEqual(
      expect.arrayContaining(['truncated-tail', 'dropped-segment']),
    );
    expect((await recovered.append(batchOf(1))).baseOffset).toBe(expectedEnd);
    await recovered.close();
  });

  it('recovers every topic of a data directory through the log manager', async () => {
    const opts = {
      dataDir: root,
      defaultPartitions: 2,
      fsync: { mode: 'always' as const },
      defaultTopicConfig: BIG_SEGMENTS,
    };
    const manager = await LogManager.open(opts);
    await manager.createTopic('a');
    await manager.createTopic('b', 3, { retentionMs: 1000 });
    await manager.partition('b', 2)!.append(batchOf(5));
    // No close: simulate a crash by abandoning the manager, then tear the tail.
    const file = path.join(root, 'b-2', '00000000000000000000.log');
    writeFileSync(file, Buffer.concat([readFileSync(file), batchOf(2).subarray(0, 30)]));
    const reopened = await LogManager.open(opts);
    expect(reopened.listTopics()).toEqual([
      { name: 'a', partitions: 2, config: { ...BIG_SEGMENTS, segmentMs: null } },
      { name: 'b', partitions: 3, config: { ...BIG_SEGMENTS, retentionMs: 1000, segmentMs: null } },
    ]);
    expect(reopened.partition('b', 2)!.logEndOffset).toBe(5n);
    await reopened.close();
    await manager.close();
  });
});
