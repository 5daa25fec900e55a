import { formatDuration, parseDuration } from './duration.parser';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1h0m5s', 3_605_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', '5 min', '5M', '-5m', '1.5h', '5m1h', '5s5s', '0s', 'm'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );

  it('formats with the largest units first', () => {
    expect(formatDuration(130_000)).toBe('2m10s');
    expect(formatDuration(5 * 60_000)).toBe('5m');
    expect(formatDuration(90_061_001)).toBe('1d1h1m1s1ms');
    expect(formatDuration(0)).toBe('0s');
  });
});
