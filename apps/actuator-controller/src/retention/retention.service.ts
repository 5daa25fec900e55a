import { deleteInBatches } from '@sluice/service-runtime';
import { retentionMetrics } from './retention.metrics';
import type { RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

export type RetainedTable = 'command_events' | 'commands' | 'conflicts';

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
    const outcome: RetentionOutcome = { command_events: 0, commands: 0, conflicts: 0 };
    const drain = (
      table: RetainedTable,
      deleteBatch: (limit: number) => Promise<number>,
    ): Promise<void> =>
      deleteInBatches(
        this.settings.batchRows,
        deleteBatch,
        (deleted) => {
          outcome[table] += deleted;
          retentionMetrics.rowsDeleted.inc({ table }, deleted);
        },
        signal,
      );

    // events before their commands: the commands' ON DELETE CASCADE then has nothing left to
    // delete, so no statement deletes more than batchRows rows
    await drain('command_events', (limit) =>
      this.repository.deleteEventsOfExpiredCommands(cutoff, limit),
    );
    await drain('commands', (limit) => this.repository.deleteExpiredCommands(cutoff, limit));
    await drain('conflicts', (limit) => this.repository.deleteConflicts(cutoff, limit));
    retentionMetrics.lastSuccess.set(this.clock() / 1000);
    return outcome;
  }
}
