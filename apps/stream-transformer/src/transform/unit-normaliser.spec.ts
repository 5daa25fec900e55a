import { normaliseUnit } from './unit-normaliser';

describe('unit normalisation', () => {
  it.each([
    [21.5, 'C', 21.5, '°C'],
    [212, '°F', 100, '°C'],
    [32, 'fahrenheit', 0, '°C'],
    [273.15, 'K', 0, '°C'],
    [1.5, 'kW', 1500, 'W'],
    [250, 'mW', 0.25, 'W'],
    [2, 'MW', 2e6, 'W'],
    [3.2, 'kWh', 3200, 'Wh'],
    [3600, 'J', 1, 'Wh'],
    [1013.25, 'hPa', 101325, 'Pa'],
    [55, 'percent', 55, '%'],
    [1200, 'rpm', 1200, 'rpm'],
    [42, 'Celsius', 42, '°C'],
  ])('converts %p %s to %p %s', (value, unit, expected, canonical) => {
    const outcome = normaliseUnit(value, unit);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.value).toBeCloseTo(expected, 9);
    expect(outcome.unit).toBe(canonical);
  });

  it('keeps unitless readings unitless', () => {
    expect(normaliseUnit(7, undefined)).toEqual({ ok: true, value: 7, unit: undefined });
  });

  it('treats symbols case-sensitively: mW is not MW', () => {
    const milli = normaliseUnit(1, 'mW');
    const mega = normaliseUnit(1, 'MW');
    expect(milli.ok && mega.ok && milli.value !== mega.value).toBe(true);
    expect(normaliseUnit(1, 'mw')).toMatchObject({ ok: false, reason: 'unknown_unit' });
  });

  it('refuses units outside the table', () => {
    expect(normaliseUnit(1, 'furlongs')).toEqual({
      ok: false,
      reason: 'unknown_unit',
      detail: 'unit "furlongs" is not in the unit table',
    });
  });

  it('refuses temperatures below absolute zero and conversions that overflow', () => {
    expect(normaliseUnit(-5, 'K')).toMatchObject({ ok: false, reason: 'invalid_value' });
    expect(normaliseUnit(-500, '°F')).toMatchObject({ ok: false, reason: 'invalid_value' });
    expect(normaliseUnit(1e308, 'MW')).toMatchObject({ ok: false, reason: 'invalid_value' });
  });
});
