import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../notifier.config';
import { IncidentService } from './incident.service';

/**
 * Advances incident timers (auto-resolve after the clear time, held notifications after cooldown
 * or silence expiry, re-notification, escalation) every INCIDENT_TICK_MS. Replicas can run it
 * concurrently: due incidents are locked with SKIP LOCKED.
 */
@Injectable()
export class IncidentTickerScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IncidentTicker');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly incidents: IncidentService,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, this.config.INCIDENT_TICK_MS);
  }

  private async runOnce(): Promise<void> {
    try {
      // a full page means more may be due: keep going until the backlog is done
      while (!this.stopped && (await this.incidents.tick()) >= 1000);
    } catch (error) {
      this.logger.error(
        `incident tick failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
