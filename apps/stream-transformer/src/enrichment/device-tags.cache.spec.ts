import { DeviceTagsCache, type DeviceTagsSource } from './device-tags.cache';
import type { DeviceRef, DeviceTags } from './devices.repository';

class RecordingSource implements DeviceTagsSource {
  readonly calls: string[][] = [];
  failing = false;
  constructor(readonly registry: Record<string, DeviceTags>) {}

  async findTags(refs: ReadonlyArray<DeviceRef>): Promise<Map<string, DeviceTags>> {
    this.calls.push(refs.map((r) => `${r.tenant}/${r.device}`));
    if (this.failing) throw new Error('registry down');
    const found = new Map<string, DeviceTags>();
    for (const ref of refs) {
      const tags = this.registry[`${ref.tenant}/${ref.device}`];
      if (tags) found.set(`${ref.tenant}/${ref.device}`, tags);
    }
    return found;
  }
}

const a = { tenant: 't', device: 'a' };
const b = { tenant: 't', device: 'b' };
const unknown = { tenant: 't', device: 'ghost' };

describe('device tags cache', () => {
  let now: number;
  let source: RecordingSource;
  let cache: DeviceTagsCache;

  beforeEach(() => {
    now = 1_000;
    source = new RecordingSource({ 't/a': { site: 'north' }, 't/b': { site: 'south' } });
    cache = new DeviceTagsCache(source, { ttlMs: 100, maxEntries: 10, clock: () => now });
  });

  it('loads every missing device of a batch in one query and marks unknown devices', async () => {
    const result = await cache.lookup([a, b, a, unknown]);
    expect(source.calls).toEqual([['t/a', 't/b', 't/ghost']]);
    expect(result.get('t/a')).toEqual({ tags: { site: 'north' }, known: true });
    expect(result.get('t/ghost')).toEqual({ tags: {}, known: false });
  });

  it('serves fresh entries, unknown devices included, without a query', async () => {
    await cache.lookup([a, unknown]);
    now += 99;
    await cache.lookup([a, unknown]);
    expect(source.calls).toHaveLength(1);
  });

  it('reloads only expired entries', async () => {
    await cache.lookup([a]);
    now += 50;
    await cache.lookup([b]);
    now += 60;
    await cache.lookup([a, b]);
    expect(source.calls).toEqual([['t/a'], ['t/b'], ['t/a']]);
  });

  it('serves an expired entry at once and reloads it in the background, one query at a time', async () => {
    await cache.lookup([a]);
    now += 200;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const findTags = source.findTags.bind(source);
    source.findTags = async (refs) => {
      await held;
      return findTags(refs);
    };
    source.registry['t/a'] = { site: 'east' };
    // answered from the expired entry while the reload is held
    expect((await cache.lookup([a])).get('t/a')?.tags).toEqual({ site: 'north' });
    expect((await cache.lookup([a])).get('t/a')?.tags).toEqual({ site: 'north' });
    release();
    await cache.reloaded();
    expect(source.calls).toEqual([['t/a'], ['t/a']]);
    expect((await cache.lookup([a])).get('t/a')?.tags).toEqual({ site: 'east' });
    expect(source.calls).toHaveLength(2);
  });

  it('loads expired entries along with a batch that has to wait for unseen devices', async () => {
    await cache.lookup([a]);
    now += 200;
    await cache.lookup([a, b]);
    expect(source.calls).toEqual([['t/a'], ['t/b', 't/a']]);
    await cache.reloaded();
    expect(source.calls).toHaveLength(2);
  });

  it('serves stale tags when the registry is down, but fails for devices never seen', async () => {
    const stale: number[] = [];
    cache = new DeviceTagsCache(source, {
      ttlMs: 100,
      maxEntries: 10,
      clock: () => now,
      onStaleServed: (_error, devices) => stale.push(devices),
    });
    await cache.lookup([a]);
    now += 500;
    source.failing = true;
    expect((await cache.lookup([a])).get('t/a')?.tags).toEqual({ site: 'north' });
    await cache.reloaded();
    expect(stale).toEqual([1]);
    await expect(cache.lookup([a, b])).rejects.toThrow('registry down');
  });

  it('evicts the least recently loaded entries beyond its size bound', async () => {
    cache = new DeviceTagsCache(source, { ttlMs: 1_000, maxEntries: 2, clock: () => now });
    await cache.lookup([a]);
    await cache.lookup([b]);
    await cache.lookup([unknown]);
    await cache.lookup([b, unknown]);
    expect(source.calls).toHaveLength(3);
    await cache.lookup([a]);
    expect(source.calls).toHaveLength(4);
  });
});
