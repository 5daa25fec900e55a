/**
 * Exponential backoff with full jitter for the live stream's reconnects: spreads a fleet of
 * dashboards that lost the gateway at the same moment instead of having them all return at once.
 */
export class ReconnectBackoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt; grows 2x per failure up to `maxMs`, jittered in [50%, 100%]. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(ceiling * (0.5 + this.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
