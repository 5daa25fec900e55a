import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { REDIS } from '@sluice/redis';
import type { Redis } from 'ioredis';
import {
  ACTUATOR_CONTROLLER_CONFIG,
  type ActuatorControllerConfig,
} from '../actuator-controller.config';
import { ProgramCatalog } from '../programs/program-catalog';
import { EvaluationService } from './evaluation.service';

const LEASE_KEY = 'ac:ticker-lease';
const CHUNK = 500;

/**
 * Timer ticks for programs whose verdict time alone can change (a `for 5m` completing, a schedule
 * starting). One replica ticks at a time: it holds a Redis lease renewed on every tick; when it
 * dies, another takes over after the lease lapses (3 ticks).
 */
@Injectable()
export class ProgramTickScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProgramTickScheduler.name);
  private readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly catalog: ProgramCatalog,
    private readonly evaluation: EvaluationService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(ACTUATOR_CONTROLLER_CONFIG) private readonly config: ActuatorControllerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.redis
      .eval(
        "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
        1,
        LEASE_KEY,
        this.owner,
      )
      .catch(() => undefined);
  }

  /** One tick of every ticking program (exposed for tests). */
  async tickOnce(now = Date.now()): Promise<void> {
    const programs = this.catalog.tickers();
    for (let start = 0; start < programs.length; start += CHUNK) {
      await this.evaluation.tick(programs.slice(start, start + CHUNK), now);
    }
  }

  private async holdLease(): Promise<boolean> {
    const leaseMs = this.config.PROGRAM_TICK_MS * 3;
    const renewed = await this.redis.eval(
      "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0",
      1,
      LEASE_KEY,
      this.owner,
      String(leaseMs),
    );
    return Number(renewed) === 1;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = (async () => {
        if (this.catalog.tickers().length > 0 && (await this.holdLease())) await this.tickOnce();
      })()
        .catch((error: unknown) => this.logger.error({ err: error, msg: 'program tick failed' }))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.config.PROGRAM_TICK_MS);
  }
}
