import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AGGREGATOR_CONFIG, type AggregatorConfig } from '../aggregator.config';
import { SilenceDetectionService } from './silence-detection.service';

/** Looks for silent devices every SILENCE_CHECK_INTERVAL_MS. */
@Injectable()
export class SilenceCheckScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('SilenceCheck');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly silence: SilenceDetectionService,
    @Inject(AGGREGATOR_CONFIG) private readonly config: AggregatorConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.silence.isEnabled) this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.silence
        .check(Date.now())
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.error(
            `silence check failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.config.SILENCE_CHECK_INTERVAL_MS);
  }
}
