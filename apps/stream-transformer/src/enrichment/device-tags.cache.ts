import type { DeviceRef, DeviceTags } from './devices.repository';

export interface DeviceTagsSource {
  findTags(refs: ReadonlyArray<DeviceRef>): Promise<Map<string, DeviceTags>>;
}

export interface DeviceTagsCacheOptions {
  ttlMs: number;
  maxEntries: number;
  clock?: () => number;
  /** Called when a refresh failed and stale entries were served instead. */
  onStaleServed?: (error: unknown, devices: number) => void;
}

interface Entry {
  /** undefined: the device is not registered (cached too, so unknown devices cost no query). */
  tags: DeviceTags | undefined;
  expiresAt: number;
}

export interface TagsLookup {
  tags: DeviceTags;
  known: boolean;
}

/**
 * In-process cache of device tags with a TTL, filled in bulk: one query per consumed batch for all
 * devices missing or expired, none when every device is fresh. Tag edits show up within the TTL.
 * When the registry is down, expired entries are served (stale tags beat a stalled pipeline); only
 * devices never seen make the lookup fail, and the batch is retried.
 */
export class DeviceTagsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;

  constructor(
    private readonly source: DeviceTagsSource,
    private readonly options: DeviceTagsCacheOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  async lookup(refs: ReadonlyArray<DeviceRef>): Promise<Map<string, TagsLookup>> {
    const now = this.clock();
    const wanted = new Map<string, DeviceRef>();
    for (const ref of refs) wanted.set(`${ref.tenant}/${ref.device}`, ref);
    const toLoad = [...wanted].filter(([key]) => {
      const entry = this.entries.get(key);
      return entry === undefined || entry.expiresAt <= now;
    });

    if (toLoad.length > 0) {
      try {
        const found = await this.source.findTags(toLoad.map(([, ref]) => ref));
        for (const [key] of toLoad) {
          this.set(key, { tags: found.get(key), expiresAt: now + this.options.ttlMs });
        }
      } catch (error) {
        if (toLoad.some(([key]) => !this.entries.has(key))) throw error;
        this.options.onStaleServed?.(error, toLoad.length);
      }
    }

    const result = new Map<string, TagsLookup>();
    for (const key of wanted.keys()) {
      const tags = this.entries.get(key)?.tags;
      result.set(key, { tags: tags ?? {}, known: tags !== undefined });
    }
    return result;
  }

  private set(key: string, entry: Entry): void {
    // Re-insert so Map order is least-recently-loaded first, then evict from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
