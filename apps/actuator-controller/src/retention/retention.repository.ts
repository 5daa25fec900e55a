import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@sluice/db';
import type pg from 'pg';

/**
 * Statuses after which a command never changes again. `pending` and `sent` rows are the outbox and
 * are never deleted, whatever their age. Must match the partial index of migration 0011.
 */
const FINAL_STATUSES = `('acknowledged', 'failed', 'expired', 'rejected')`;

/**
 * SQL of the retention pass. Every method deletes at most `limit` rows in one statement (bounded
 * locks and WAL per step) and returns how many went. Candidates are locked `FOR UPDATE SKIP
 * LOCKED`: replicas running a pass at the same time take disjoint rows instead of waiting on each
 * other. Cut-offs are epoch milliseconds. A command's age is taken from `created_at`: its life ends
 * at `expires_at` (COMMAND_TTL_MS after it was issued), so it is final long before any horizon in
 * days, and `created_at` is the column the partial index of migration 0011 orders.
 */
@Injectable()
export class RetentionRepository {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** Audit events of final commands issued before `cutoff`. */
  async deleteEventsOfExpiredCommands(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT e.seq FROM commands c
           JOIN command_events e ON e.command_id = c.id
          WHERE c.status IN ${FINAL_STATUSES} AND c.created_at < to_timestamp($1::float8 / 1000)
          LIMIT $2
          FOR UPDATE OF e SKIP LOCKED
       )
       DELETE FROM command_events e USING doomed WHERE e.seq = doomed.seq`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /**
   * Final commands issued before `cutoff` once their events are gone (deleted by the step above in
   * bounded batches rather than by one unbounded ON DELETE CASCADE). A command whose events another
   * replica still holds waits for the next pass.
   */
  async deleteExpiredCommands(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT c.id FROM commands c
          WHERE c.status IN ${FINAL_STATUSES} AND c.created_at < to_timestamp($1::float8 / 1000)
            AND NOT EXISTS (SELECT 1 FROM command_events e WHERE e.command_id = c.id)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM commands c USING doomed WHERE c.id = doomed.id`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Conflicts recorded before `cutoff`. */
  async deleteConflicts(cutoff: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH doomed AS (
         SELECT seq FROM conflicts
          WHERE at < to_timestamp($1::float8 / 1000)
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       DELETE FROM conflicts c USING doomed WHERE c.seq = doomed.seq`,
      [cutoff, limit],
    );
    return result.rowCount ?? 0;
  }
}
