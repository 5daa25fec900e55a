import type { Pool, PoolClient } from 'pg';

/**
 * A PostgreSQL session advisory lock naming the batch layer of one schema: exactly one replica
 * runs scheduled jobs at a time. The lock lives on a connection held for the tick, so a runner that
 * crashes (or loses its connection) releases it with its session and another replica takes over.
 */
export class SchedulerLock {
  constructor(
    private readonly pool: Pool,
    private readonly name: string,
  ) {}

  /** Runs `work` if the lock is free; returns false without waiting when another runner holds it. */
  async runExclusive(work: () => Promise<void>): Promise<boolean> {
    const client: PoolClient = await this.pool.connect();
    let acquired = false;
    try {
      const { rows } = await client.query<{ acquired: boolean }>(
        `SELECT pg_try_advisory_lock(hashtextextended($1 || ':' || current_schema(), 0)) AS acquired`,
        [this.name],
      );
      acquired = rows[0].acquired;
      if (!acquired) return false;
      await work();
      return true;
    } finally {
      let broken: Error | undefined;
      if (acquired) {
        await client
          .query(`SELECT pg_advisory_unlock(hashtextextended($1 || ':' || current_schema(), 0))`, [
            this.name,
          ])
          .catch((error: Error) => (broken = error));
      }
      // a connection that failed to unlock is destroyed: closing the session frees the lock
      client.release(broken);
    }
  }
}
