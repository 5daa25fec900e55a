import type { Pool } from 'pg';

export type RetainedTable = 'readings' | 'rollups_1h' | 'rollups_1d';

const TIME_COLUMN: Record<RetainedTable, string> = {
  readings: 'time',
  rollups_1h: 'bucket',
  rollups_1d: 'bucket',
};

/** SQL of the retention job: bounded deletes (plain PostgreSQL) or TimescaleDB policies. */
export class RetentionRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Deletes at most `limit` rows older than `cutoffMs` (one short statement: bounded locks and
   * WAL per step); returns how many went.
   */
  async deleteBatch(table: RetainedTable, cutoffMs: number, limit: number): Promise<number> {
    const column = TIME_COLUMN[table];
    const result = await this.pool.query(
      `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM ${table} WHERE ${column} < to_timestamp($1::float8 / 1000) LIMIT $2))`,
      [cutoffMs, limit],
    );
    return result.rowCount ?? 0;
  }

  /** Replaces the table's TimescaleDB retention policy (none when `days` is 0). */
  async applyTimescalePolicy(table: RetainedTable, days: number): Promise<void> {
    await this.pool.query(`SELECT remove_retention_policy($1::regclass, if_exists => true)`, [
      table,
    ]);
    if (days > 0) {
      await this.pool.query(
        `SELECT add_retention_policy($1::regclass, make_interval(days => $2::int))`,
        [table, days],
      );
    }
  }
}
