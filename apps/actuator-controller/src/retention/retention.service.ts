import { BatchedDeletes } from '@sluice/service-runtime';
import { retentionMetrics } from './retention.metrics';
import type { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

const RETAINED_TABLES = ['command_events', 'commands', 'conflicts'] as const;

export type RetainedTable = (typeof RETAINED_TABLES)[number];

export type RetentionOutcome = Record<RetainedTable, number>;

export interface RetentionSettings {
  /** Days to keep final commands (with their events) and conflicts. */
  days: number;
  /** Rows deleted per statement. */
  batchRows: number;
}

/**
 * Retention of the controller's command tables: final commands, their audit events and recorded
 * conflicts older than `days` go, in statements of at most `batchRows` rows; commands still in the
 * outbox (`pending`, `sent`) stay whatever their age.
 */
export class RetentionService {
  constructor(
    private readonly repository: RetentionRepository,
    private readonly settings: RetentionSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * One pass; returns the rows deleted per table. Checks `signal` between statements and throws
   * its reason once it is aborted (shutdown): the rows deleted so far stay deleted and the next
   * pass carries on.
   */
  async deleteExpired(signal?: AbortSignal): Promise<RetentionOutcome> {
    const cutoff = this.clock() - this.settings.days * DAY_MS;
    const deletes = new BatchedDeletes(RETAINED_TABLES, {
      batchRows: this.settings.batchRows,
      metrics: retentionMetrics,
      signal,
    });

    // events before their commands: the commands' ON DELETE CASCADE then has nothing left to
    // delete, so no statement deletes more than batchRows rows
    await deletes.drain('command_events', (limit) =>
      this.repository.deleteEventsOfExpiredCommands(cutoff, limit),
    );
    await deletes.drain('commands', (limit) =>
      this.repository.deleteExpiredCommands(cutoff, limit),
    );
    await deletes.drain('conflicts', (limit) => this.repository.deleteConflicts(cutoff, limit));
    return deletes.completed(this.clock());
  }
}
