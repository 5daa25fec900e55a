import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
/**
 * The two metrics of a service's retention (`sluice_<service>_retention_rows_deleted_total{table}`,
 * `sluice_<service>_retention_last_success_timestamp_seconds`). Each service registers its own
 * with literal names, which the metrics catalog check reads from the source.
 */
export interface RetentionMetrics {
  rowsDeleted: { inc(labels: { table: string }, rows: number): void };
  lastSuccess: { set(seconds: number): void };
}

/** What a retention pass runs: bounded deletes that stop between statements once `signal` aborts. */
export interface ExpiredRowsCleaner {
  deleteExpired(signal: AbortSignal): Promise<unknown>;
}

/**
 * The bounded deletes of one retention pass: each table is drained in statements of at most
 * `batchRows` rows until one deletes fewer, the rows are counted per table and in `metrics`, and
 * `completed` marks the pass's success. `signal` is checked before every statement and its reason
 * thrown once aborted; the rows deleted so far stay deleted and the next pass carries on.
 */
export class BatchedDeletes<Table extends string> {
  readonly deleted: Record<Table, number>;

  constructor(
    tables: readonly Table[],
    private readonly options: {
      batchRows: number;
      metrics: RetentionMetrics;
      signal?: AbortSignal;
    },
  ) {
    this.deleted = Object.fromEntries(tables.map((table) => [table, 0])) as Record<Table, number>;
  }

  async drain(table: Table, deleteBatch: (limit: number) => Promise<number>): Promise<void> {
    const { batchRows, metrics, signal } = this.options;
    for (;;) {
      signal?.throwIfAborted();
      const rows = await deleteBatch(batchRows);
      this.deleted[table] += rows;
      metrics.rowsDeleted.inc({ table }, rows);
      if (rows < batchRows) return;
    }
  }

  /** Records the pass's success at `now` (epoch ms) and returns the rows deleted per table. */
  completed(now: number): Record<Table, number> {
    this.options.metrics.lastSuccess.set(now / 1000);
    return this.deleted;
  }
}

/**
 * A retention pass at start and every `intervalMs`, never two at once in this process. Every
 * replica runs its own: the deletes are bounded, idempotent and take disjoint rows (SKIP LOCKED),
 * so concurrent passes only share the work — no lock to hold, and none left behind by a replica
 * that dies mid-pass.
 */
export class RetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly retention: ExpiredRowsCleaner,
    private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    // a replica restarted more often than intervalMs (deploys, scaling) would otherwise never run one
    this.start();
    this.timer = setInterval(() => this.start(), this.intervalMs);
  }

  /** Stops the timer and ends the running pass after its current statement. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  private start(): void {
    if (this.running === undefined)
      this.running = this.pass().finally(() => (this.running = undefined));
  }

  private async pass(): Promise<void> {
    try {
      const outcome = await this.retention.deleteExpired(this.shutdown.signal);
      this.logger.log(`retention pass deleted ${JSON.stringify(outcome)}`);
    } catch (error) {
      if (this.shutdown.signal.aborted) {
        this.logger.log('retention pass stopped by shutdown; the next pass carries on');
        return;
      }
      this.logger.error(
        `retention pass failed (retried in ${this.intervalMs} ms): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
