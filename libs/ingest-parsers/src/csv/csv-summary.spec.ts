import { parse } from 'csv-parse/sync';
import { readCsvReadings } from './csv-readings.reader';
import { headlineAggregateFor, ReadingSummaryAccumulator } from './csv-summary';
import { formatSummaryCsv, SUMMARY_CSV_COLUMNS } from './csv-summary.writer';

describe('CSV summary', () => {
  it.each([
    ['temperature', 'max'],
    ['boiler.temp', 'max'],
    ['Temp_C', 'max'],
    ['energy_kwh', 'sum'],
    ['meter.energy', 'sum'],
    ['grid:wh', 'sum'],
    ['valve.state', 'last'],
    ['pump_status', 'last'],
    ['humidity', 'avg'],
    ['temperate_zone', 'avg'],
    ['attempts', 'avg'],
  ])('summarises %s by %s', (metric, aggregate) => {
    expect(headlineAggregateFor(metric)).toBe(aggregate);
  });

  it('takes the last value by time, not by row order, and the later row on a tie', () => {
    const summary = new ReadingSummaryAccumulator();
    summary.add('d', { metric: 'state', time: 20, value: 1 });
    summary.add('d', { metric: 'state', time: 10, value: 2 });
    summary.add('d', { metric: 'state', time: 20, value: 3 });
    expect(summary.summaries()[0]).toMatchObject({
      last: 3,
      headline: 3,
      count: 3,
      min: 1,
      max: 3,
    });
  });

  it('writes one row per device and metric, sorted, with round-trip numbers', () => {
    const summary = new ReadingSummaryAccumulator();
    summary.add('b', { metric: 'temperature', time: 1, value: 0.1, unit: '°C, room' });
    summary.add('b', { metric: 'temperature', time: 2, value: 0.2 });
    summary.add('a', { metric: 'energy_kwh', time: 1, value: 5 });
    expect(formatSummaryCsv(summary.summaries())).toBe(
      [
        SUMMARY_CSV_COLUMNS.join(','),
        'a,energy_kwh,,1,5,5,5,sum,5',
        `b,temperature,"°C, room",2,0.1,0.2,${0.1 + (0.2 - 0.1) / 2},max,0.2`,
        '',
      ].join('\n'),
    );
  });

  it('summarises a 200k-row upload exactly like an independent computation', async () => {
    const devices = 25;
    const metrics = ['temperature', 'energy_kwh', 'valve.state', 'humidity'];
    const rows = 200_000;
    // Deterministic values on a 1/8 grid, so sums are exact and the comparison can be exact.
    let seed = 42;
    // An LCG's low bits cycle quickly; its high 16 bits are random enough for test data.
    const next = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16;
    const generated: { device: string; metric: string; time: number; value: number }[] = [];
    for (let row = 0; row < rows; row++) {
      const device = `dev-${next() % devices}`;
      const metric = metrics[next() % metrics.length];
      const time = 1_700_000_000_000 + (next() % 5_000); // out of order, with ties, on purpose
      const value = ((next() % 20_001) - 10_000) / 8;
      generated.push({ device, metric, time, value });
    }
    async function* file() {
      yield 'time,device,metric,value\n';
      for (let start = 0; start < rows; start += 1000) {
        yield generated
          .slice(start, start + 1000)
          .map((r) => `${r.time},${r.device},${r.metric},${r.value}\n`)
          .join('');
      }
    }

    const accumulator = new ReadingSummaryAccumulator();
    for await (const batch of readCsvReadings(file(), {
      mapping: { format: 'long' },
      timeFormat: 'epoch-ms',
    })) {
      expect(batch.errors).toEqual([]);
      for (const point of batch.points) accumulator.addPoint(point);
    }
    const written: Record<string, string>[] = parse(formatSummaryCsv(accumulator.summaries()), {
      columns: true,
    });

    // Independent: group first, then plain sums and sorts.
    const groups = new Map<string, typeof generated>();
    for (const r of generated) {
      const key = `${r.device},${r.metric}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [r]);
      else group.push(r);
    }
    const expected = [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, readings]) => {
        const [device, metric] = key.split(',');
        const values = readings.map((r) => r.value);
        const sum = values.reduce((a, b) => a + b, 0);
        const latest = Math.max(...readings.map((r) => r.time));
        const last = readings.filter((r) => r.time === latest).at(-1)!.value;
        const headline = metric.startsWith('temperature')
          ? Math.max(...values)
          : metric.startsWith('energy')
            ? sum
            : metric.endsWith('state')
              ? last
              : sum / values.length;
        return {
          device,
          metric,
          count: values.length,
          min: Math.min(...values),
          max: Math.max(...values),
          mean: sum / values.length,
          headline,
        };
      });

    expect(written).toHaveLength(devices * metrics.length);
    expect(written.map((w) => [w.device, w.metric])).toEqual(
      expected.map((e) => [e.device, e.metric]),
    );
    written.forEach((w, i) => {
      const e = expected[i];
      expect([Number(w.count), Number(w.min), Number(w.max)]).toEqual([e.count, e.min, e.max]);
      // Welford's running mean and sum/count are both correct to ~1e-12 relative, not bit-equal.
      expect(Number(w.mean)).toBeCloseTo(e.mean, 9);
      if (w.headline_aggregate === 'avg') expect(Number(w.headline)).toBeCloseTo(e.headline, 9);
      else expect(Number(w.headline)).toBe(e.headline);
    });
  });
});
