import type { PartitionLog } from '../storage';

export type WakeReason = 'append' | 'stop';
type Waiter = (reason: WakeReason) => void;

interface Watch {
  waiters: Set<Waiter>;
  listener: () => void;
}

/**
 * Fan-out of PartitionLog 'append' events to parked Fetch requests. One listener per partition
 * log however many fetches wait on it, so many parked fetches neither trip EventEmitter's leak
 * warning nor cost a listener call each per append; the listener goes when the last waiter does.
 */
export class AppendNotifier {
  private readonly watches = new Map<PartitionLog, Watch>();
  private readonly all = new Set<Waiter>();

  /** Calls `wake` after any append (and on stop) to one of `logs`; returns the unsubscribe function. */
  watch(logs: Iterable<PartitionLog>, wake: Waiter): () => void {
    const watched: PartitionLog[] = [];
    for (const log of logs) {
      let w = this.watches.get(log);
      if (!w) {
        const waiters = new Set<Waiter>();
        const listener = (): void => {
          for (const waiter of [...waiters]) waiter('append');
        };
        w = { waiters, listener };
        this.watches.set(log, w);
        log.on('append', listener);
      }
      w.waiters.add(wake);
      watched.push(log);
    }
    this.all.add(wake);
    return () => {
      this.all.delete(wake);
      for (const log of watched) {
        const w = this.watches.get(log);
        if (!w) continue;
        w.waiters.delete(wake);
        if (w.waiters.size === 0) {
          log.off('append', w.listener);
          this.watches.delete(log);
        }
      }
    };
  }

  /** Wakes every waiter (the broker is stopping: parked fetches answer with what they have). */
  wakeAll(): void {
    for (const wake of [...this.all]) wake('stop');
  }
}
