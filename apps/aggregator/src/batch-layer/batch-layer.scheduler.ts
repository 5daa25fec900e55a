import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { BatchLayerService } from './batch-layer.service';
import { SchedulerLock } from './scheduler-lock';

export interface BatchSchedulerSettings {
  enabled: boolean;
  intervalMs: number;
}

/**
 * Ticks in every replica; only the one that gets the advisory lock runs the due jobs (hourly
 * catch-up, dirty buckets, daily). Ticks never overlap in a process; shutdown waits for the running
 * tick (its transaction commits or rolls back, never half-applies).
 */
@Injectable()
export class BatchLayerScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BatchLayerScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly batch: BatchLayerService,
    private readonly lock: SchedulerLock,
    private readonly settings: BatchSchedulerSettings,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.enabled) return;
    const tick = (): void => {
      if (this.running === undefined)
        this.running = this.tick()
          .then(() => undefined)
          .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.settings.intervalMs);
    setImmediate(tick);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One tick; exposed for tests. Returns whether this process held the lock. */
  async tick(): Promise<boolean> {
    try {
      return await this.lock.runExclusive(async () => {
        const summary = await this.batch.runDue();
        if (summary.hourly + summary.daily + summary.dirty + summary.interrupted > 0) {
          this.logger.log(
            `batch tick: ${summary.hourly} hourly, ${summary.daily} daily runs, ` +
              `${summary.dirty} dirty buckets, ${summary.interrupted} interrupted runs re-queued`,
          );
        }
      });
    } catch (error) {
      // The failed run is recorded (batch_runs) and its job backs off; the next tick retries.
      this.logger.error(error instanceof Error ? error.message : String(error));
      return false;
    }
  }
}
