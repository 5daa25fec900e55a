import type pg from 'pg';

/** Whether the TimescaleDB extension is installed in the connected database. */
export async function detectTimescale(db: pg.Pool | pg.ClientBase): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`);
  return (result.rowCount ?? 0) > 0;
}
