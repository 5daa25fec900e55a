import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { SpeedLayerService } from './speed-layer.service';

/**
 * Periodically publishes closed windows and drains the too-late outbox. Every replica runs it:
 * the claim lease keeps them from publishing the same window twice in the normal case. Ticks never
 * overlap; shutdown waits for the running tick so it can acknowledge what it published.
 */
@Injectable()
export class WindowCloserScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WindowCloserScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly speedLayer: SpeedLayerService,
    @Inject(AGGREGATOR_CONFIG) private readonly config: AggregatorConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running === undefined)
        this.running = this.tick().finally(() => (this.running = undefined));
    }, this.config.SPEED_CLOSER_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      const windows = await this.speedLayer.closeDueWindows();
      const tooLate = await this.speedLayer.drainTooLate();
      if (windows > 0 || tooLate > 0) {
        this.logger.debug(`published ${windows} closed windows, ${tooLate} too-late entries`);
      }
    } catch (error) {
      // Nothing is lost: unacknowledged windows and outbox entries are retried on the next tick.
      this.logger.error(
        `window closer tick failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
