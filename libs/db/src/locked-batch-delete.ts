import type pg from 'pg';

export interface LockedBatchDelete {
  /** The table rows are deleted from. */
  table: string;
  /** Its key column: `candidates` selects it under this name. */
  key: string;
  /**
   * A SELECT of the keys that may go, without LIMIT or locking clause; `$1`… are `params`, and
   * the limit is appended as the next placeholder.
   */
  candidates: string;
  /** The alias to lock when `candidates` joins other tables (`FOR UPDATE OF e`). */
  lockOf?: string;
}

/**
 * One bounded step of a retention pass: deletes at most `limit` rows in one statement (bounded
 * locks and WAL per step) and returns how many went. Candidates are locked `FOR UPDATE SKIP
 * LOCKED`, so replicas running a pass at the same time take disjoint rows instead of waiting on
 * each other, and a row another transaction is changing is left for the next pass; a row changed
 * since the statement's snapshot is re-checked when it is locked, so it goes only if it still
 * qualifies.
 */
export async function deleteLockedBatch(
  pool: Pick<pg.Pool, 'query'>,
  step: LockedBatchDelete,
  params: readonly unknown[],
  limit: number,
): Promise<number> {
  const lock = step.lockOf === undefined ? '' : ` OF ${step.lockOf}`;
  const result = await pool.query(
    `WITH doomed AS (${step.candidates} LIMIT $${params.length + 1} FOR UPDATE${lock} SKIP LOCKED)
     DELETE FROM ${step.table} t USING doomed WHERE t.${step.key} = doomed.${step.key}`,
    [...params, limit],
  );
  return result.rowCount ?? 0;
}
