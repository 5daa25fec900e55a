/**
 * Group commit for fsync: many appends waiting for durability share one fsync. A request
 * resolves only after a sync that *started after* the request was made, so every write that
 * completed before the request is covered. At most one sync runs at a time and at most one more
 * is queued behind it, however many requests arrive meanwhile.
 */
export class SyncCoalescer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly sync: () => Promise<void>) {}

  request(): Promise<void> {
    if (!this.running) return this.start();
    if (!this.queued) {
      const after = this.running.then(
        () => undefined,
        () => undefined,
      );
      this.queued = after.then(() => {
        this.queued = null;
        return this.start();
      });
    }
    return this.queued;
  }

  /** Resolves once no sync is running or queued (errors are reported to the requesters). */
  async idle(): Promise<void> {
    while (this.running || this.queued) {
      await (this.queued ?? this.running)?.catch(() => undefined);
    }
  }

  private start(): Promise<void> {
    const run = this.sync().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}
