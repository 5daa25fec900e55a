import { ReconnectBackoff } from './reconnect-backoff';

describe('reconnect backoff', () => {
  it('doubles up to the ceiling and starts over after a reset', () => {
    const backoff = new ReconnectBackoff(500, 4000, () => 1);
    expect([
      backoff.next(),
      backoff.next(),
      backoff.next(),
      backoff.next(),
      backoff.next(),
    ]).toEqual([500, 1000, 2000, 4000, 4000]);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });

  it('jitters each delay into the upper half of its step', () => {
    const backoff = new ReconnectBackoff(1000, 30_000, () => 0);
    expect(backoff.next()).toBe(500);
    expect(backoff.next()).toBe(1000);
  });
});
