/** A dependency check: resolves when the dependency is usable, throws (with a reason) when not. */
export type HealthCheck = () => Promise<void>;

export interface CheckResult {
  status: 'ok' | 'error';
  latencyMs: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'error' | 'draining';
  checks: Record<string, CheckResult>;
}

export interface RegisterCheckOptions {
  /** Slower than this counts as failed (a hung dependency must not hang the probe). */
  timeoutMs?: number;
}
