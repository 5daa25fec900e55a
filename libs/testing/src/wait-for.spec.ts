import { uniqueName } from './unique-name';
import { waitFor, WaitForTimeoutError } from './wait-for';

describe('waitFor', () => {
  it('resolves with the first value the probe returns', async () => {
    let calls = 0;
    const value = await waitFor(async () => (++calls >= 3 ? { calls } : undefined), {
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throwing probe as not yet', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        calls += 1;
        if (calls < 3) throw new Error('still starting');
        return 'ready';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('ready');
  });

  it('times out naming what it waited for', async () => {
    await expect(
      waitFor(async () => false, { timeoutMs: 100, intervalMs: 10, message: 'rows in readings' }),
    ).rejects.toThrow(new WaitForTimeoutError('rows in readings', 100, undefined));
    await expect(
      waitFor(async () => false, { timeoutMs: 50, message: 'rows in readings' }),
    ).rejects.toThrow('Timed out after 50 ms waiting for rows in readings');
  });

  it('reports the last probe error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('ECONNREFUSED 127.0.0.1:1');
        },
        { timeoutMs: 50, message: 'broker' },
      ),
    ).rejects.toThrow(
      'Timed out after 50 ms waiting for broker (last probe error: ECONNREFUSED 127.0.0.1:1)',
    );
  });
});

describe('uniqueName', () => {
  it('gives distinct names valid as schema, topic and key prefix', () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName('Agg-Test')));
    expect(names.size).toBe(1000);
    for (const name of names) expect(name).toMatch(/^agg_test_[a-z0-9_]+$/);
    expect(uniqueName('9lives')).toMatch(/^t_9lives_/);
    expect(uniqueName('x'.repeat(80)).length).toBeLessThanOrEqual(63);
  });
});
