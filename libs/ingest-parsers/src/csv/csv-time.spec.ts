import { parseCsvTime } from './csv-time';

describe('CSV time cells', () => {
  it.each([
    ['2024-03-01T12:34:56Z', Date.UTC(2024, 2, 1, 12, 34, 56)],
    ['2024-03-01T12:34:56.789Z', Date.UTC(2024, 2, 1, 12, 34, 56, 789)],
    ['2024-03-01T12:34:56.789999999Z', Date.UTC(2024, 2, 1, 12, 34, 56, 789)],
    ['2024-03-01 12:34:56,5', Date.UTC(2024, 2, 1, 12, 34, 56, 500)],
    ['2024-03-01T12:34:56+02:00', Date.UTC(2024, 2, 1, 10, 34, 56)],
    ['2024-03-01T12:34:56-0530', Date.UTC(2024, 2, 1, 18, 4, 56)],
    ['2024-03-01T12:34+01', Date.UTC(2024, 2, 1, 11, 34)],
    ['2024-03-01T12:34:56', Date.UTC(2024, 2, 1, 12, 34, 56)],
    ['2024-03-01', Date.UTC(2024, 2, 1)],
    ['2024-02-29T00:00:00z', Date.UTC(2024, 1, 29)],
  ])('reads ISO-8601 %s (no zone means UTC)', (text, ms) => {
    expect(parseCsvTime(text, 'iso8601')).toBe(ms);
  });

  it.each([
    '2023-02-29',
    '2024-13-01',
    '2024-03-01T24:00:00Z',
    '2024-03-01T12:60Z',
    '1700000000',
    'yesterday',
  ])('refuses %s as ISO-8601', (text) => {
    expect(parseCsvTime(text, 'iso8601')).toEqual({
      error: `${JSON.stringify(text)} is not a valid ISO-8601 time`,
    });
  });

  it('reads epoch numbers in each unit, truncating below 1 ms', () => {
    expect(parseCsvTime('1700000000', 'epoch-s')).toBe(1_700_000_000_000);
    expect(parseCsvTime('1700000000.1239', 'epoch-s')).toBe(1_700_000_000_123);
    expect(parseCsvTime('1700000000123', 'epoch-ms')).toBe(1_700_000_000_123);
    expect(parseCsvTime('1700000000123.9', 'epoch-ms')).toBe(1_700_000_000_123);
    expect(parseCsvTime('1700000000123999', 'epoch-us')).toBe(1_700_000_000_123);
    expect(parseCsvTime('1700000000123999999', 'epoch-ns')).toBe(1_700_000_000_123);
    expect(parseCsvTime('999999', 'epoch-ns')).toBe(0);
  });

  it('refuses empty, negative, non-numeric and out-of-range epoch times', () => {
    expect(parseCsvTime('', 'epoch-ms')).toEqual({ error: 'missing time' });
    expect(parseCsvTime('-1', 'epoch-ms')).toEqual({
      error: '"-1" is not a valid epoch-milliseconds time',
    });
    expect(parseCsvTime('1e9', 'epoch-s')).toHaveProperty('error');
    expect(parseCsvTime('9223372036855', 'epoch-ms')).toHaveProperty('error');
  });
});
