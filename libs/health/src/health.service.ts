import { Injectable } from '@nestjs/common';
import { HealthCheckTimeoutError } from './health.errors';
import type { CheckResult, HealthCheck, HealthReport, RegisterCheckOptions } from './health.types';

interface RegisteredCheck {
  check: HealthCheck;
  timeoutMs: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2000;

/**
 * Registry of dependency checks (postgres, redis, kafka, ...) that libs register at init, plus the
 * draining flag set on SIGTERM: a draining instance reports not-ready so load balancers stop
 * sending it work while in-flight batches finish.
 */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, RegisteredCheck>();
  private draining = false;

  register(name: string, check: HealthCheck, options: RegisterCheckOptions = {}): void {
    this.checks.set(name, { check, timeoutMs: options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS });
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  setDraining(): void {
    this.draining = true;
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
