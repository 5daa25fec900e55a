import { Inject, Injectable } from '@nestjs/common';
import { deleteLockedBatch, PG_POOL } from '@sluice/db';
import type pg from 'pg';

/**
 * Statuses after which a command never changes again. `pending` and `sent` rows are the outbox and
 * are never deleted, whatever their age. Must match the partial index of migration 0011.
 */
const FINAL_STATUSES = `('acknowledged', 'failed', 'expired', 'rejected')`;

/**
 * SQL of the retention pass: each method is one bounded, `SKIP LOCKED` step (`deleteLockedBatch`)
 * and returns how many rows went. Cut-offs are epoch milliseconds. A command's age is taken from
 * `created_at`: its life ends at `expires_at` (COMMAND_TTL_MS after it was issued), so it is final
 * long before any horizon in days, and `created_at` is the column the partial index of migration
 * 0011 orders.
 */
@Injectable()
export class RetentionRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Audit events of final commands issued before `cutoff`. */
  deleteEventsOfExpiredCommands(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'command_events',
        key: 'seq',
        candidates: `SELECT e.seq FROM commands c JOIN command_events e ON e.command_id = c.id
          WHERE c.status IN ${FINAL_STATUSES} AND c.created_at < to_timestamp($1::float8 / 1000)`,
        lockOf: 'e',
      },
      [cutoff],
      limit,
    );
  }

  /**
   * Final commands issued before `cutoff` once their events are gone (deleted by the step above in
   * bounded batches rather than by one unbounded ON DELETE CASCADE). A command whose events another
   * replica still holds waits for the next pass.
   */
  deleteExpiredCommands(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'commands',
        key: 'id',
        candidates: `SELECT c.id FROM commands c
          WHERE c.status IN ${FINAL_STATUSES} AND c.created_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM command_events e WHERE e.command_id = c.id)`,
      },
      [cutoff],
      limit,
    );
  }

  /** Conflicts recorded before `cutoff`. */
  deleteConflicts(cutoff: number, limit: number): Promise<number> {
    return deleteLockedBatch(
      this.pool,
      {
        table: 'conflicts',
        key: 'seq',
        candidates: `SELECT seq FROM conflicts WHERE at < to_timestamp($1::float8 / 1000)`,
      },
      [cutoff],
      limit,
    );
  }
}
