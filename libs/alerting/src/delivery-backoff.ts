export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts in all (the first included); after the last failure the delivery is dead-lettered. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, maxAttempts: 8 };

/**
 * Delay before attempt `failedAttempts + 1`: exponential (base · 2^(n-1), capped) with "equal
 * jitter" — half fixed, half random — so retries of many deliveries that failed together spread
 * out instead of hitting a recovering receiver at the same instant, while never retrying sooner
 * than half the exponential delay. `random` is injectable for tests.
 */
export function retryDelayMs(
  failedAttempts: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
  const half = ceiling / 2;
  return Math.round(half + random() * half);
}

export function isLastAttempt(failedAttempts: number, policy: BackoffPolicy): boolean {
  return failedAttempts >= policy.maxAttempts;
}
