import { DatabaseError, type Pool, type QueryResult } from 'pg';
import { ReadingsRepository, ReadingsWriteError, type ReadingRow } from './readings.repository';

/** A pool that records each statement and answers from a script (a result or an error). */
function scriptedPool(answers: Array<Partial<QueryResult> | Error>) {
  const statements: string[] = [];
  const names: Array<string | undefined> = [];
  const pool = {
    query: (statement: string | { name?: string; text: string }) => {
      const text = typeof statement === 'string' ? statement : statement.text;
      statements.push(text);
      names.push(typeof statement === 'string' ? undefined : statement.name);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected statement: ${text}`);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return { pool: pool as unknown as Pool, statements, names };
}

function databaseError(code: string): DatabaseError {
  const error = new DatabaseError('refused', 0, 'error');
  error.code = code;
  return error;
}

const skipsDuplicates = (statement: string) => statement.includes('ON CONFLICT DO NOTHING');
const rows = (n: number): ReadingRow[] =>
  Array.from({ length: n }, (_, i) => ({
    tenant: 'acme',
    device: 'dev-1',
    metric: 'power',
    time: 1_760_000_000_000 + i,
    value: i,
  }));
const allNew = (n: number): Partial<QueryResult> => ({ rowCount: n });
const newOf = (n: number): Partial<QueryResult> => ({ rows: [{ inserted: n }] });

describe('readings repository statement choice', () => {
  it('writes an all-new batch with one plain INSERT, without speculative insertion', async () => {
    const { pool, statements } = scriptedPool([allNew(3)]);
    expect(await new ReadingsRepository(pool).insertBatch(rows(3))).toBe(3);
    expect(statements.map(skipsDuplicates)).toEqual([false]);
  });

  it('uses named statements: prepared once per connection, planned once for all batches', async () => {
    const { pool, names } = scriptedPool([databaseError('23505'), newOf(2)]);
    await new ReadingsRepository(pool).insertBatch(rows(3));
    expect(names).toEqual(['readings-insert-all-new', 'readings-insert-skipping-duplicates']);
  });

  it('writes a batch holding a stored row again with ON CONFLICT DO NOTHING', async () => {
    const { pool, statements } = scriptedPool([databaseError('23505'), newOf(2)]);
    expect(await new ReadingsRepository(pool).insertBatch(rows(3))).toBe(2);
    expect(statements.map(skipsDuplicates)).toEqual([false, true]);
  });

  it('after duplicates, skips the plain INSERT until a batch is all new again', async () => {
    const { pool, statements } = scriptedPool([
      databaseError('23505'),
      newOf(0), // a replay
      newOf(1), // its end: one row new
      newOf(3), // all new
      allNew(3),
    ]);
    const repository = new ReadingsRepository(pool);
    for (const expected of [0, 1, 3, 3]) {
      expect(await repository.insertBatch(rows(3))).toBe(expected);
    }
    expect(statements.map(skipsDuplicates)).toEqual([false, true, true, true, false]);
  });

  it('passes any other refusal on as a write error, without a second attempt', async () => {
    const { pool, statements } = scriptedPool([databaseError('23502')]);
    await expect(new ReadingsRepository(pool).insertBatch(rows(2))).rejects.toThrow(
      ReadingsWriteError,
    );
    expect(statements).toHaveLength(1);
  });
});
