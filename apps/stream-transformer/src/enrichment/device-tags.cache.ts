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
 * In-process cache of device tags with a TTL, filled in bulk: one query per consumed batch for the
 * devices never seen, none when every device is cached. An expired entry is served as it is while
 * one background query reloads it (with the batch's other expired devices), so the registry is off
 * the hot path once a device is known (otherwise each entry's expiry, once per TTL, would make the
 * batch holding it wait for the query). Tag edits show up within the TTL plus one batch. When the
 * registry is down, expired entries keep being served (stale tags beat a stalled pipeline); only
 * devices never seen make the lookup fail, and the batch is retried.
 */
export class DeviceTagsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => number;
  /** Keys with a background reload in flight, so a device is reloaded by one query at a time. */
  private readonly reloading = new Set<string>();
  private readonly reloads = new Set<Promise<void>>();

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
    const missing: Array<[string, DeviceRef]> = [];
    const expired: Array<[string, DeviceRef]> = [];
    for (const item of wanted) {
      const entry = this.entries.get(item[0]);
      if (entry === undefined) missing.push(item);
      else if (entry.expiresAt <= now && !this.reloading.has(item[0])) expired.push(item);
    }

    if (missing.length > 0) {
      // the query is waited for anyway: the expired devices ride along
      const toLoad = [...missing, ...expired];
      try {
        await this.load(toLoad, now);
      } catch (error) {
        if (toLoad.some(([key]) => !this.entries.has(key))) throw error;
        this.options.onStaleServed?.(error, expired.length);
      }
    } else if (expired.length > 0) {
      this.reloadInBackground(expired, now);
    }

    const result = new Map<string, TagsLookup>();
    for (const key of wanted.keys()) {
      const tags = this.entries.get(key)?.tags;
      result.set(key, { tags: tags ?? {}, known: tags !== undefined });
    }
    return result;
  }

  /** Resolves once the background reloads started so far have finished. */
  async reloaded(): Promise<void> {
    await Promise.all(this.reloads);
  }

  /** Nest shutdown: after the consumers stopped, before the pool closes (`onApplicationShutdown`). */
  beforeApplicationShutdown(): Promise<void> {
    return this.reloaded();
  }

  private async load(items: ReadonlyArray<[string, DeviceRef]>, now: number): Promise<void> {
    const found = await this.source.findTags(items.map(([, ref]) => ref));
    for (const [key] of items) {
      this.set(key, { tags: found.get(key), expiresAt: now + this.options.ttlMs });
    }
  }

  private reloadInBackground(items: ReadonlyArray<[string, DeviceRef]>, now: number): void {
    for (const [key] of items) this.reloading.add(key);
    const reload = this.load(items, now)
      .catch((error: unknown) => this.options.onStaleServed?.(error, items.length))
      .finally(() => {
        for (const [key] of items) this.reloading.delete(key);
        this.reloads.delete(reload);
      });
    this.reloads.add(reload);
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
