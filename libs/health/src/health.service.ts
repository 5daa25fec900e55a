import { Injectable } from '@nestjs/common';
import { createGauge } from '@sluice/metrics';
import { HealthCheckTimeoutError } from './health.errors';
import type { CheckResult, HealthCheck, HealthReport, RegisterCheckOptions } from './health.types';

interface RegisteredCheck {
  check: HealthCheck;
  timeoutMs: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

const checkUp = () =>
  createGauge({
    name: 'sluice_health_check_up',
    help: '1 when the named readiness check passed at the last probe, 0 when it failed',
    labelNames: ['check'] as const,
  });
const draining = () =>
  createGauge({
    name: 'sluice_service_draining',
    help: '1 from SIGTERM until exit (readiness answers 503 meanwhile)',
  });

/**
 * Registry of dependency checks (postgres, redis, kafka, ...) that libs register at init, plus the
 * draining flag set on SIGTERM: a draining instance reports not-ready so load balancers stop
 * sending it work while in-flight batches finish.
 */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, RegisteredCheck>();
  private draining = false;
  private readonly checkUp = checkUp();
  private readonly drainingGauge = draining();

  constructor() {
    this.drainingGauge.set(0);
  }

  register(name: string, check: HealthCheck, options: RegisterCheckOptions = {}): void {
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS });
  }

  unregister(name: string): void {
    this.checks.delete(name);
    this.checkUp.remove({ check: name });
  }

  setDraining(): void {
    this.draining = true;
    this.drainingGauge.set(1);
  }

  isDraining(): boolean {
    return this.draining;
  }

  /** Runs every check concurrently, each bounded by its timeout. */
  async report(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(
        async ([name, registered]) => [name, await runCheck(name, registered)] as const,
      ),
    );
    for (const [name, result] of entries)
      this.checkUp.set({ check: name }, result.status === 'ok' ? 1 : 0);
    const checks = Object.fromEntries(entries);
    const failing = entries.some(([, result]) => result.status === 'error');
    return { status: this.draining ? 'draining' : failing ? 'error' : 'ok', checks };
  }
}

async function runCheck(name: string, { check, timeoutMs }: RegisteredCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthCheckTimeoutError(name, timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok', latencyMs: elapsedMs(started) };
  } catch (error) {
    const message = error instanceof Error ? error.message || error.name : String(error);
    return { status: 'error', latencyMs: elapsedMs(started), error: message };
  } finally {
    clearTimeout(timer);
  }
}

function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
