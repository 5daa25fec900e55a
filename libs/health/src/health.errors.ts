export class HealthCheckTimeoutError extends Error {
  override readonly name = 'HealthCheckTimeoutError';

  constructor(
    readonly check: string,
    readonly timeoutMs: number,
  ) {
    super(`health check "${check}" timed out after ${timeoutMs} ms`);
  }
}
