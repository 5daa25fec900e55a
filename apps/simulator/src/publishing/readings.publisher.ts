import { setTimeout as sleep } from 'node:timers/promises';

/** One reading in the gateway's `POST /api/v1/readings` format. */
export interface OutgoingReading {
  device: string;
  metric: string;
  time: number;
  value: number;
  unit?: string;
}

/** What happened to readings, for metrics and logs: nothing leaves the publisher uncounted. */
export interface PublisherObserver {
  accepted(count: number, durationSeconds: number): void;
  /** A transient failure (429, 503, network): the same batch is retried after `delayMs`. */
  retrying(reason: string, delayMs: number): void;
  /** The gateway refused the batch for good (4xx other than 429): retrying would not help. */
  rejected(count: number, status: number, body: string): void;
  /** The buffer was full: the oldest readings were discarded to keep memory bounded. */
  dropped(count: number): void;
}

export interface ReadingsPublisherOptions {
  gatewayUrl: string;
  apiKey: string;
  /** Readings per request (the gateway's batch limit is 5000 by default). */
  maxBatch: number;
  /** Readings held while the gateway is unavailable before the oldest are dropped. */
  maxBuffered: number;
  requestTimeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  observer: PublisherObserver;
}

class TransientPublishError extends Error {
  constructor(
    readonly reason: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(reason);
    this.name = 'TransientPublishError';
  }
}

/**
 * Posts buffered readings to the gateway, one request in flight at a time. Transient failures are
 * retried with exponential backoff (or the server's Retry-After) without losing the batch; memory
 * stays bounded by `maxBuffered`, and whatever has to be discarded is reported to the observer.
 */
export class ReadingsPublisher {
  private buffer: OutgoingReading[] = [];
  private readonly stopping = new AbortController();
  private wake: (() => void) | undefined;
  private pump: Promise<void> | undefined;

  constructor(private readonly options: ReadingsPublisherOptions) {}

  get buffered(): number {
    return this.buffer.length;
  }

  enqueue(readings: OutgoingReading[]): void {
    this.buffer.push(...readings);
    const excess = this.buffer.length - this.options.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.options.observer.dropped(excess);
    }
    this.wake?.();
  }

  start(): void {
    this.pump ??= this.run();
  }

  /** Stops after the in-flight request; readings still buffered are reported as dropped. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    await this.pump;
    if (this.buffer.length > 0) this.options.observer.dropped(this.buffer.length);
    this.buffer = [];
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      if (this.buffer.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const batch = this.buffer.slice(0, this.options.maxBatch);
      const delivered = await this.deliver(batch);
      if (delivered) this.buffer.splice(0, batch.length);
    }
  }

  /** Resolves true once the batch is settled (accepted or refused for good), false on shutdown. */
  private async deliver(batch: OutgoingReading[]): Promise<boolean> {
    let backoffMs = this.options.initialBackoffMs;
    while (!this.stopping.signal.aborted) {
      try {
        await this.post(batch);
        return true;
      } catch (error) {
        if (!(error instanceof TransientPublishError)) throw error;
        const delayMs = Math.min(error.retryAfterMs ?? backoffMs, this.options.maxBackoffMs);
        this.options.observer.retrying(error.reason, delayMs);
        backoffMs = Math.min(backoffMs * 2, this.options.maxBackoffMs);
        await sleep(delayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    return false;
  }

  private async post(batch: OutgoingReading[]): Promise<void> {
    const started = process.hrtime.bigint();
    let response: Response;
    try {
      response = await fetch(new URL('/api/v1/readings', this.options.gatewayUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.options.apiKey}`,
        },
        body: JSON.stringify({ readings: batch }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (error) {
      throw new TransientPublishError(`network: ${describe(error)}`, undefined);
    }
    const body = await response.text();
    if (response.status === 202 || response.status === 200) {
      this.options.observer.accepted(batch.length, Number(process.hrtime.bigint() - started) / 1e9);
      return;
    }
    if (response.status === 429 || response.status >= 500) {
      throw new TransientPublishError(
        `HTTP ${response.status}`,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    this.options.observer.rejected(batch.length, response.status, body);
  }
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
