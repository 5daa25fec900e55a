import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { LogManager, type LogManagerOptions } from './log-manager';
import {
  InvalidConfigError,
  InvalidPartitionsError,
  InvalidTopicError,
  OffsetOutOfRangeError,
  StorageIoError,
  TopicExistsError,
  UnknownTopicError,
} from './storage.errors';
import { encodeBatch } from './test-support/record-batch.fixture';
import { makeTempDir } from './test-support/temp-dir.fixture';

describe('log manager', () => {
  let dir: string;
  let cleanup: () => void;
  let manager: LogManager;
  let opts: LogManagerOptions;

  beforeEach(async () => {
    ({ dir, cleanup } = makeTempDir('manager'));
    opts = {
      dataDir: dir,
      defaultPartitions: 6,
      fsync: { mode: 'interval', intervalMs: 10 },
      defaultTopicConfig: { retentionMs: null, retentionBytes: null, segmentBytes: 1024 },
    };
    manager = await LogManager.open(opts);
  });

  afterEach(async () => {
    await manager.close();
    cleanup();
  });

  describe('topics', () => {
    it('creates topics with the default or requested partition count and persists them', async () => {
      await manager.createTopic('telemetry.raw.v1');
      await manager.createTopic('alerts.v1', 2, { retentionMs: 60_000 });
      expect(manager.hasTopic('alerts.v1')).toBe(true);
      expect(manager.partition('telemetry.raw.v1', 5)).toBeDefined();
      expect(manager.partition('telemetry.raw.v1', 6)).toBeUndefined();
      expect(existsSync(path.join(dir, 'alerts.v1-1', '00000000000000000000.log'))).toBe(true);
      await manager.close();
      manager = await LogManager.open(opts);
      expect(manager.listTopics()).toEqual([
        {
          name: 'telemetry.raw.v1',
          partitions: 6,
          config: { ...opts.defaultTopicConfig, segmentMs: null },
        },
        {
          name: 'alerts.v1',
          partitions: 2,
          config: { ...opts.defaultTopicConfig, retentionMs: 60_000, segmentMs: null },
        },
      ]);
    });

    it('rejects a duplicate topic, also when two creations race', async () => {
      const results = await Promise.allSettled([
        manager.createTopic('dup', 1),
        manager.createTopic('dup', 1),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      await expect(manager.createTopic('dup')).rejects.toBeInstanceOf(TopicExistsError);
      await expect(manager.createTopic('dup')).rejects.toMatchObject({ kafkaErrorCode: 36 });
    });

    it('rejects illegal names, partition counts and configs with the matching Kafka codes', async () => {
      for (const name of ['', '.', '..', 'has space', 'slash/name', 'x'.repeat(250)]) {
        await expect(manager.createTopic(name)).rejects.toBeInstanceOf(InvalidTopicError);
      }
      await expect(manager.createTopic('ok', 0)).rejects.toBeInstanceOf(InvalidPartitionsError);
      await expect(manager.createTopic('ok', 1.5)).rejects.toMatchObject({ kafkaErrorCode: 37 });
      await expect(manager.createTopic('ok', 1, { segmentBytes: 10 })).rejects.toBeInstanceOf(
        InvalidConfigError,
      );
      await expect(manager.createTopic('ok', 1, { retentionMs: -5 })).rejects.toMatchObject({
        kafkaErrorCode: 40,
      });
      expect(manager.listTopics()).toEqual([]);
    });

    it('treats -1 retention as unlimited', async () => {
      await manager.createTopic('forever', 1, { retentionMs: -1, retentionBytes: -1 });
      expect(manager.listTopics()[0].config).toMatchObject({
        retentionMs: null,
        retentionBytes: null,
      });
    });

    it('deletes a topic with its directories, and a recreated topic starts empty', async () => {
      await manager.createTopic('gone', 2);
      const log = manager.partition('gone', 1)!;
      await log.append(encodeBatch([{ value: Buffer.from('x') }]));
      await manager.deleteTopic('gone');
      expect(manager.hasTopic('gone')).toBe(false);
      expect(existsSync(path.join(dir, 'gone-1'))).toBe(false);
      await expect(log.append(encodeBatch([{ value: Buffer.from('y') }]))).rejects.toBeInstanceOf(
        UnknownTopicError,
      );
      await expect(manager.deleteTopic('gone')).rejects.toMatchObject({ kafkaErrorCode: 3 });
      await manager.createTopic('gone', 1);
      expect(manager.partition('gone', 0)!.logEndOffset).toBe(0n);
    });

    it('removes orphan partition directories left by an interrupted create, and nothing else', async () => {
      await manager.createTopic('kept', 1);
      await manager.close();
      mkdirSync(path.join(dir, 'orphan-0'));
      writeFileSync(path.join(dir, 'orphan-0', '00000000000000000000.log'), '');
      mkdirSync(path.join(dir, 'user-data-1'));
      writeFileSync(path.join(dir, 'user-data-1', 'notes.txt'), 'mine');
      manager = await LogManager.open(opts);
      expect(readdirSync(dir).sort()).toEqual(['kept-0', 'topics.json', 'user-data-1']);
    });

    it('refuses to start over a damaged topics.json instead of forgetting every topic', async () => {
      await manager.createTopic('precious', 1);
      await manager.close();
      writeFileSync(path.join(dir, 'topics.json'), '{"version":1,"topics":[');
      await expect(LogManager.open(opts)).rejects.toBeInstanceOf(StorageIoError);
      writeFileSync(
        path.join(dir, 'topics.json'),
        JSON.stringify({
          version: 1,
          topics: [{ name: 'precious', partitions: 1, config: opts.defaultTopicConfig }],
        }),
      );
      manager = await LogManager.open(opts);
      expect(manager.hasTopic('precious')).toBe(true);
      expect(JSON.parse(readFileSync(path.join(dir, 'topics.json'), 'utf8')).version).toBe(1);
    });
  });

  describe('retention', () => {
    const NOW = 1_700_000_100_000;

    async function fillSegments(
      topic: string,
      batches: number,
      timestampOf: (i: number) => number,
    ): Promise<void> {
      const log = manager.partition(topic, 0)!;
      for (let i = 0; i < batches; i++) {
        await log.append(encodeBatch([{ value: Buffer.alloc(300, i), timestamp: timestampOf(i) }]));
      }
    }

    it('deletes whole segments older than retentionMs, never the active one, and advances logStartOffset', async () => {
      await manager.createTopic('timed', 1, { retentionMs: 10_000 });
      const log = manager.partition('timed', 0)!;
      // 300-byte records, 1024-byte segments: 2 batches per segment.
      await fillSegments('timed', 10, (i) => (i < 6 ? NOW - 60_000 : NOW - 1000));
      const segmentsBefore = log.segmentCount;
      expect(await manager.applyRetention(NOW)).toBe(3);
      expect(log.segmentCount).toBe(segmentsBefore - 3);
      expect(log.logStartOffset).toBe(6n);
      await expect(log.read(5n, 1000)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
      expect((await log.read(6n, 1)).readBigInt64BE(0)).toBe(6n);
      expect(existsSync(path.join(dir, 'timed-0', '00000000000000000000.log'))).toBe(false);
      // Everything expired: only sealed segments go, the active one stays.
      await manager.applyRetention(NOW + 1_000_000);
      expect(log.segmentCount).toBe(1);
      expect(log.logEndOffset).toBe(10n);
      expect(await log.offsetForTimestamp(-2n)).toBe(log.logStartOffset);
    });

    it('deletes the oldest segments while the partition stays at or above retentionBytes', async () => {
      await manager.createTopic('sized', 1, { retentionBytes: 2500 });
      const log = manager.partition('sized', 0)!;
      await fillSegments('sized', 11, () => NOW);
      // Two batches per sealed segment; the 11th batch sits alone in the active segment.
      const segmentSize = (await log.read(0n, 1 << 20)).length;
      const batchSize = segmentSize / 2;
      expect(log.sizeBytes).toBe(5 * segmentSize + batchSize);
      await manager.applyRetention(NOW);
      // Deleting a third segment would take the partition below retentionBytes.
      expect(log.sizeBytes).toBe(3 * segmentSize + batchSize);
      expect(log.sizeBytes - segmentSize).toBeLessThan(2500);
      expect(log.logStartOffset).toBe(4n);
      expect(log.logEndOffset).toBe(11n);
    });

    it('lets a read that already started finish while retention deletes its segment', async () => {
      await manager.createTopic('racing', 1, { retentionMs: 10_000 });
      const log = manager.partition('racing', 0)!;
      await fillSegments('racing', 6, () => NOW - 60_000);
      const reading = log.read(0n, 1 << 20);
      const deleting = manager.applyRetention(NOW);
      const [data, deleted] = await Promise.all([reading, deleting]);
      expect(deleted).toBe(2);
      expect(data.readBigInt64BE(0)).toBe(0n);
      await expect(log.read(0n, 1)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    });

    it('rolls segments by age when segmentMs is set, so quiet topics can expire', async () => {
      await manager.createTopic('aged', 1, { segmentMs: 0, retentionMs: 10_000 });
      await fillSegments('aged', 3, () => NOW - 60_000);
      expect(manager.partition('aged', 0)!.segmentCount).toBe(3);
      await manager.applyRetention(NOW);
      expect(manager.partition('aged', 0)!.logStartOffset).toBe(2n);
    });

    it('keeps retention-free topics untouched', async () => {
      await manager.createTopic('keep', 1);
      await fillSegments('keep', 6, () => 0);
      expect(await manager.applyRetention(NOW)).toBe(0);
      expect(manager.partition('keep', 0)!.logStartOffset).toBe(0n);
    });

    it('survives a restart with the advanced log start offset', async () => {
      await manager.createTopic('timed', 1, { retentionMs: 10_000 });
      await fillSegments('timed', 6, (i) => (i < 4 ? NOW - 60_000 : NOW));
      await manager.applyRetention(NOW);
      await manager.close();
      manager = await LogManager.open(opts);
      expect(manager.partition('timed', 0)!.logStartOffset).toBe(4n);
      expect(manager.partition('timed', 0)!.logEndOffset).toBe(6n);
    });
  });
});
