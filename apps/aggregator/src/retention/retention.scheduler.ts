import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { detectTimescale } from '@sluice/db';
import type { Pool } from 'pg';
import type { SchedulerLock } from '../batch-layer/scheduler-lock';
import type { RetentionService } from './retention.service';

/**
 * At start: TimescaleDB → (re)apply the retention policies and stop there. Plain PostgreSQL → a
 * pass every `intervalMs`, by the one replica holding the retention lock.
 */
export class RetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly retention: RetentionService,
    private readonly lock: SchedulerLock,
    private readonly settings: { enabled: boolean; intervalMs: number },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.enabled) return;
    if (await detectTimescale(this.pool)) {
      await this.lock.runExclusive(() => this.retention.applyTimescalePolicies());
      this.logger.log('TimescaleDB retention policies applied');
      return;
    }
    this.timer = setInterval(() => {
      if (this.running === undefined)
        this.running = this.tick().finally(() => (this.running = undefined));
    }, this.settings.intervalMs);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.lock.runExclusive(async () => {
        const outcome = await this.retention.deleteExpired();
        this.logger.log(`retention: deleted ${JSON.stringify(outcome)}`);
      });
    } catch (error) {
      this.logger.error(
        `retention pass failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
