import {
  assembleSeries,
  bucketStart,
  bucketStarts,
  hourlyCost,
  integrateEnergy,
  mergeStats,
  nextBucketStart,
  priceAt,
  resolveRule,
  headlineValue,
  standardDeviation,
  statsOf,
  zoneHasWholeHourOffsets,
  type Tariff,
} from './index';

const H = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);

describe('bucket alignment', () => {
  it('aligns minutes and hours on UTC', () => {
    const t = utc('2026-03-29T10:17:42.123Z');
    expect(bucketStart(t, '1m')).toBe(utc('2026-03-29T10:17:00Z'));
    expect(bucketStart(t, '1h')).toBe(utc('2026-03-29T10:00:00Z'));
    expect(nextBucketStart(utc('2026-03-29T10:00:00Z'), '1h')).toBe(utc('2026-03-29T11:00:00Z'));
  });

  it('starts days at local midnight, 23 and 25 hours long across DST', () => {
    const zone = 'Europe/Paris';
    const springDay = bucketStart(utc('2026-03-29T12:00:00Z'), '1d', zone);
    expect(springDay).toBe(utc('2026-03-28T23:00:00Z'));
    expect(nextBucketStart(springDay, '1d', zone) - springDay).toBe(23 * H);
    const autumnDay = bucketStart(utc('2026-10-25T12:00:00Z'), '1d', zone);
    expect(nextBucketStart(autumnDay, '1d', zone) - autumnDay).toBe(25 * H);
    expect(bucketStarts(springDay, springDay + 48 * H, '1d', zone)).toHaveLength(3);
  });

  it('tells zones whose midnights are not UTC hours', () => {
    expect(zoneHasWholeHourOffsets('Europe/Paris', utc('2026-01-01Z'), utc('2027-01-01Z'))).toBe(
      true,
    );
    expect(zoneHasWholeHourOffsets('Asia/Kolkata', utc('2026-01-01Z'), utc('2027-01-01Z'))).toBe(
      false,
    );
  });
});

describe('statistics', () => {
  const samples = [
    { time: 30, value: 3 },
    { time: 10, value: -1 },
    { time: 20, value: 7 },
    { time: 40, value: 5 },
  ];

  it('computes every statistic whatever the order of arrival', () => {
    expect(statsOf(samples, 2)).toEqual({
      count: 4,
      sum: 14,
      min: -1,
      max: 7,
      first: -1,
      firstTime: 10,
      last: 5,
      lastTime: 40,
      sumSquares: 1 + 49 + 9 + 25,
      anomalies: 2,
    });
    expect(statsOf([])).toBeNull();
  });

  it('merges two disjoint sets into the statistics of their union', () => {
    const merged = mergeStats(statsOf(samples.slice(0, 2)), statsOf(samples.slice(2)));
    expect(merged).toEqual(statsOf(samples));
    expect(standardDeviation(merged!)).toBeCloseTo(Math.sqrt((84 - 4 * 3.5 * 3.5) / 4), 12);
  });
});

describe('headline rules', () => {
  const rules = [
    { tenant: '*', metric: 'temperature', kind: 'temperature' as const },
    {
      tenant: 'acme',
      metric: 'temperature',
      kind: 'temperature' as const,
      headline: 'avg' as const,
    },
  ];

  it('prefers the tenant rule, then the global one, then the kind guessed from name or unit', () => {
    expect(resolveRule(rules, 'acme', 'temperature')).toEqual({
      kind: 'temperature',
      headline: 'avg',
      source: 'tenant',
    });
    expect(resolveRule(rules, 'other', 'temperature').headline).toBe('max');
    expect(resolveRule(rules, 'other', 'cpu').headline).toBe('avg');
    expect(resolveRule(rules, 'other', 'load', 'W')).toMatchObject({
      kind: 'power',
      headline: 'avg',
    });
    expect(resolveRule(rules, 'other', 'anomalies').headline).toBe('count');
  });

  it('derives the headline value from the kept statistics', () => {
    const stats = statsOf([
      { time: 1, value: 2 },
      { time: 2, value: 6 },
    ])!;
    expect(headlineValue(stats, 'avg')).toBe(4);
    expect(headlineValue(stats, 'max')).toBe(6);
    expect(headlineValue(stats, 'last')).toBe(6);
    expect(headlineValue(stats, 'count')).toBe(2);
  });
});

describe('energy integration', () => {
  const t0 = utc('2026-05-01T10:00:00Z');

  it('integrates a linear ramp exactly with trapezoids, splitting at the hour', () => {
    // 0 W at 10:30 to 1200 W at 11:30: 300 Wh in each hour (150 + 450 with the interpolated 600 W)
    const series = [
      { time: t0 + 0.5 * H, value: 0 },
      { time: t0 + 1.5 * H, value: 1200 },
    ];
    const energy = integrateEnergy(series, t0, t0 + 2 * H, '1h', {
      method: 'trapezoid',
      maxGapMs: 2 * H,
    });
    expect(energy.map((e) => [e.bucketStart, e.wattHours])).toEqual([
      [t0, 150],
      [t0 + H, 450],
    ]);
  });

  it('does not integrate across a gap longer than the maximum', () => {
    const series = [
      { time: t0, value: 100 },
      { time: t0 + 15 * 60_000, value: 100 }, // 25 Wh
      { time: t0 + 45 * 60_000, value: 500 }, // 30 min gap: skipped with maxGap 20 min
      { time: t0 + 50 * 60_000, value: 700 }, // 5 min at 600 W avg: 50 Wh
    ];
    const [hour] = integrateEnergy(series, t0, t0 + H, '1h', {
      method: 'trapezoid',
      maxGapMs: 20 * 60_000,
    });
    expect(hour.wattHours).toBeCloseTo(75, 10);
    expect(hour.coveredMs).toBe(20 * 60_000);
    const [left] = integrateEnergy(series, t0, t0 + H, '1h', {
      method: 'left',
      maxGapMs: 20 * 60_000,
    });
    expect(left.wattHours).toBeCloseTo(25 + (500 * 5) / 60, 10);
  });

  it('counts only the part inside the range (kW scaled to W)', () => {
    const series = [
      { time: t0 - 0.5 * H, value: 1 },
      { time: t0 + 0.5 * H, value: 1 },
    ];
    const energy = integrateEnergy(series, t0, t0 + H, '1h', {
      method: 'trapezoid',
      maxGapMs: H,
      wattsPerUnit: 1000,
    });
    expect(energy).toEqual([{ bucketStart: t0, wattHours: 500, coveredMs: 0.5 * H }]);
  });
});

describe('tariffs', () => {
  const tou: Tariff = {
    kind: 'time-of-use',
    currency: 'EUR',
    zone: 'Europe/Paris',
    defaultPricePerKwh: 0.2,
    periods: [
      { fromHour: 22, toHour: 6, pricePerKwh: 0.1 },
      { fromHour: 17, toHour: 20, pricePerKwh: 0.4, weekdays: [1, 2, 3, 4, 5] },
    ],
  };

  it('prices by local hour and weekday, wrapping past midnight', () => {
    expect(priceAt(tou, utc('2026-05-04T21:30:00Z'))).toBe(0.1); // 23:30 Paris
    expect(priceAt(tou, utc('2026-05-04T03:00:00Z'))).toBe(0.1); // 05:00 Paris
    expect(priceAt(tou, utc('2026-05-04T16:00:00Z'))).toBe(0.4); // Monday 18:00
    expect(priceAt(tou, utc('2026-05-03T16:00:00Z'))).toBe(0.2); // Sunday 18:00
    expect(hourlyCost(2500, { kind: 'flat', currency: 'EUR', pricePerKwh: 0.3 }, 0)).toBeCloseTo(
      0.75,
    );
  });
});

describe('assembleSeries', () => {
  const t0 = utc('2026-05-01T00:00:00Z');
  const one = (value: number, time: number) => statsOf([{ time, value }])!;

  it('merges rollups and speed windows, marks the layer per bucket and reports gaps', () => {
    const series = assembleSeries(
      [
        { start: t0, layer: 'batch', stats: one(1, t0 + 1) },
        { start: t0 + 2 * H, layer: 'batch', stats: one(3, t0 + 2 * H) },
        { start: t0 + 3 * H, layer: 'speed', stats: one(4, t0 + 3 * H) },
        { start: t0 + 3 * H + 60_000, layer: 'speed', stats: one(6, t0 + 3 * H + 60_000) },
      ],
      t0,
      t0 + 4 * H,
      '1h',
    );
    expect(series.map((b) => [b.start - t0, b.layer, b.stats?.sum ?? null])).toEqual([
      [0, 'batch', 1],
      [H, 'gap', null],
      [2 * H, 'batch', 3],
      [3 * H, 'speed', 10],
    ]);
  });
});
