import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

import { CommittedOffsetStore } from './committed-offset.store';
import type { FsyncPolicy } from './storage.types';
import { makeTempDir } from './test-support/temp-dir.fixture';

describe('committed offset store', () => {
  let dir: string;
  let cleanup: () => void;
  let store: CommittedOffsetStore;
  const FILE = 'committed-offsets.log';

  beforeEach(async () => {
    ({ dir, cleanup } = makeTempDir('offsets'));
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
  });

  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('answers undefined for anything never committed', () => {
    expect(store.fetch('g', 't', 0)).toBeUndefined();
  });

  it.each<[string, FsyncPolicy]>([
    ['always', { mode: 'always' }],
    ['interval', { mode: 'interval', intervalMs: 5 }],
  ])(
    'keeps the latest offset and metadata per group/topic/partition across reopen (fsync %s)',
    async (_name, fsync) => {
      await store.close();
      store = await CommittedOffsetStore.open(dir, fsync);
      await store.commit('g1', [
        { topic: 'a', partition: 0, offset: 10n, metadata: 'first' },
        { topic: 'a', partition: 1, offset: 20n, metadata: null },
      ]);
      await store.commit('g1', [
        { topic: 'a', partition: 0, offset: 9_007_199_254_740_993n, metadata: 'ünïcode' },
      ]);
      await store.commit('g2', [{ topic: 'a', partition: 0, offset: 5n, metadata: '' }]);
      expect(store.fetch('g1', 'a', 0)).toEqual({
        offset: 9_007_199_254_740_993n,
        metadata: 'ünïcode',
      });
      await store.close();
      store = await CommittedOffsetStore.open(dir, fsync);
      expect(store.fetch('g1', 'a', 0)).toEqual({
        offset: 9_007_199_254_740_993n,
        metadata: 'ünïcode',
      });
      expect(store.fetch('g1', 'a', 1)).toEqual({ offset: 20n, metadata: null });
      expect(store.fetch('g2', 'a', 0)).toEqual({ offset: 5n, metadata: '' });
      expect(store.fetch('g2', 'a', 1)).toBeUndefined();
    },
  );

  it('forgets a deleted topic for every group, and groups left without offsets, also after reopen', async () => {
    await store.commit('g1', [{ topic: 'gone', partition: 0, offset: 1n, metadata: null }]);
    await store.commit('g2', [
      { topic: 'gone', partition: 3, offset: 2n, metadata: null },
      { topic: 'stays', partition: 0, offset: 3n, metadata: null },
    ]);
    expect(store.groupIds().sort()).toEqual(['g1', 'g2']);
    await store.deleteTopic('gone');
    expect(store.fetch('g1', 'gone', 0)).toBeUndefined();
    expect(store.groupIds()).toEqual(['g2']);
    expect(store.hasGroup('g1')).toBe(false);
    expect(store.hasGroup('g2')).toBe(true);
    await store.close();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(store.fetch('g2', 'gone', 3)).toBeUndefined();
    expect(store.fetch('g2', 'stays', 0)).toEqual({ offset: 3n, metadata: null });
    expect(store.groupIds()).toEqual(['g2']);
  });

  it('tells groups by their last commit time and expires a group durably, also through compaction', async () => {
    const at = (ms: number) => 1_700_000_000_000 + ms;
    await store.commit('old', [{ topic: 't', partition: 0, offset: 1n, metadata: null }], at(0));
    await store.commit('recent', [{ topic: 't', partition: 0, offset: 1n, metadata: null }], at(0));
    await store.commit(
      'recent',
      [{ topic: 't', partition: 1, offset: 7n, metadata: null }],
      at(50),
    );
    expect(store.groupsLastCommittedBefore(at(10)).sort()).toEqual(['old']);
    expect(store.groupsLastCommittedBefore(at(51)).sort()).toEqual(['old', 'recent']);

    await store.expireGroups(['old']);
    expect(store.fetch('old', 't', 0)).toBeUndefined();
    expect(store.groupIds()).toEqual(['recent']);
    await store.close();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(store.groupIds()).toEqual(['recent']);
    // the commit time is stored with the offsets: still 50 after a reopen
    expect(store.groupsLastCommittedBefore(at(50))).toEqual([]);
    expect(store.groupsLastCommittedBefore(at(51))).toEqual(['recent']);

    // enough commits to compact the log: the snapshot keeps commit times and the expiry
    const metadata = 'm'.repeat(1000);
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        store.commit('busy', [{ topic: 't', partition: 0, offset: BigInt(i), metadata }], at(100)),
      ),
    );
    await store.close();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(statSync(path.join(dir, FILE)).size).toBeLessThan(1024 * 1024);
    expect(store.groupIds().sort()).toEqual(['busy', 'recent']);
    expect(store.groupsLastCommittedBefore(at(51))).toEqual(['recent']);
  }, 30_000); // 1,500 fsynced commits: seconds when the suite runs in parallel on 2 cores

  it('reads commits written without a time as made when the log was opened', async () => {
    await store.close();
    writeFileSync(path.join(dir, FILE), '');
    const line = JSON.stringify({ g: 'legacy', o: [['t', 0, '3', null]] });
    const crc = (await import('./crc32c')).crc32c(Buffer.from(line)).toString(16).padStart(8, '0');
    writeFileSync(path.join(dir, FILE), `${crc} ${line}\n`);
    const before = Date.now();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(store.fetch('legacy', 't', 0)).toEqual({ offset: 3n, metadata: null });
    expect(store.groupsLastCommittedBefore(before)).toEqual([]);
    expect(store.groupsLastCommittedBefore(Date.now() + 1)).toEqual(['legacy']);
  });

  it('drops a torn or corrupt last line on reopen and keeps appending after it', async () => {
    await store.commit('g', [{ topic: 't', partition: 0, offset: 1n, metadata: null }]);
    await store.commit('g', [{ topic: 't', partition: 0, offset: 2n, metadata: null }]);
    await store.close();
    const file = path.join(dir, FILE);
    const intact = readFileSync(file);
    const lastLineStart = intact.lastIndexOf(0x0a, intact.length - 2) + 1;
    for (let cut = lastLineStart + 1; cut < intact.length; cut++) {
      writeFileSync(file, intact.subarray(0, cut));
      store = await CommittedOffsetStore.open(dir, { mode: 'always' });
      expect(store.fetch('g', 't', 0)).toEqual({ offset: 1n, metadata: null });
      expect(statSync(file).size).toBe(lastLineStart);
      await store.close();
    }
    writeFileSync(file, intact);
    appendFileSync(file, 'deadbeef {"g":"g","o":[["t",0,"99",null]]}\n');
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 2n, metadata: null });
    await store.commit('g', [{ topic: 't', partition: 0, offset: 3n, metadata: null }]);
    await store.close();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 3n, metadata: null });
  });

  it('compacts the log to its live content once it has grown, losing nothing', async () => {
    const metadata = 'm'.repeat(1000);
    const commits = Array.from({ length: 1500 }, (_, i) =>
      store.commit(`group-${i % 3}`, [
        { topic: 't', partition: i % 4, offset: BigInt(i), metadata },
      ]),
    );
    await Promise.all(commits);
    expect(statSync(path.join(dir, FILE)).size).toBeLessThan(1024 * 1024);
    await store.close();
    store = await CommittedOffsetStore.open(dir, { mode: 'always' });
    for (let i = 1500 - 12; i < 1500; i++) {
      expect(store.fetch(`group-${i % 3}`, 't', i % 4)).toEqual({ offset: BigInt(i), metadata });
    }
  }, 30_000); // 1,500 fsynced commits: seconds when the suite runs in parallel on 2 cores
});
