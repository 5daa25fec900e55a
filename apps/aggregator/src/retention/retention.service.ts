import type { BatchRunsRepository } from '../batch-layer/batch-runs.repository';
import type { RetainedTable, RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** Days to keep per table; 0 keeps forever. */
  days: Record<RetainedTable, number>;
  batchRows: number;
  runner: string;
}

export type RetentionOutcome = Record<RetainedTable, number>;

/**
 * Raw and rollup retention. With TimescaleDB the configured intervals become retention policies
 * (whole chunks dropped by TimescaleDB's scheduler); without it, old rows are deleted in bounded
 * batches, recorded as a `retention` run.
 */
export class RetentionService {
  constructor(
    private readonly repository: RetentionRepository,
    private readonly runs: Pick<BatchRunsRepository, 'start' | 'finish' | 'interruptOrphans'>,
    private readonly settings: RetentionSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  async applyTimescalePolicies(): Promise<void> {
    for (const [table, days] of Object.entries(this.settings.days) as Array<
      [RetainedTable, number]
    >) {
      await this.repository.applyTimescalePolicy(table, days);
    }
  }

  /** One pass over every table; returns the rows deleted per table. */
  async deleteExpired(): Promise<RetentionOutcome> {
    const now = this.clock();
    const outcome: RetentionOutcome = { readings: 0, rollups_1h: 0, rollups_1d: 0 };
    // called under the retention lock: a `running` retention run now belongs to a dead runner
    await this.runs.interruptOrphans(['retention']);
    const runId = await this.runs.start({
      job: 'retention',
      tenant: null,
      rangeFrom: null,
      rangeTo: now,
      details: { days: this.settings.days },
      attempt: 1,
      runner: this.settings.runner,
    });
    try {
      for (const [table, days] of Object.entries(this.settings.days) as Array<
        [RetainedTable, number]
      >) {
        if (days <= 0) continue;
        const cutoff = now - days * DAY_MS;
        for (;;) {
          const deleted = await this.repository.deleteBatch(table, cutoff, this.settings.batchRows);
          outcome[table] += deleted;
          if (deleted < this.settings.batchRows) break;
        }
      }
      const total = outcome.readings + outcome.rollups_1h + outcome.rollups_1d;
      await this.runs.finish(runId, { status: 'succeeded', rowsRead: 0, rowsWritten: total });
      return outcome;
    } catch (error) {
      await this.runs.finish(runId, {
        status: 'failed',
        rowsRead: 0,
        rowsWritten: outcome.readings + outcome.rollups_1h + outcome.rollups_1d,
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }
}
