import type { RawReading } from '@sluice/contracts';
import type { ParsedPoint } from '../parse-result';

/** The one number that best describes a metric over a file. */
export type HeadlineAggregate = 'avg' | 'max' | 'sum' | 'last';

/** Metric names matching `pattern` are of `kind` and summarised by `aggregate`. */
export interface HeadlineRule {
  kind: string;
  pattern: RegExp;
  aggregate: HeadlineAggregate;
}

// A word of the metric name, delimited by the separators metric names allow.
const word = (alternatives: string) =>
  new RegExp(`(?:^|[._:-])(?:${alternatives})(?:$|[._:-])`, 'i');

/**
 * First match wins; no match means `avg`. Peaks matter for temperatures, totals for energy
 * counters, and the current value for states (an average of on/off is meaningless).
 */
export const DEFAULT_HEADLINE_RULES: readonly HeadlineRule[] = [
  { kind: 'temperature', pattern: word('temperature|temp'), aggregate: 'max' },
  { kind: 'energy', pattern: word('energy|kwh|wh'), aggregate: 'sum' },
  { kind: 'state', pattern: word('state|status'), aggregate: 'last' },
];

export function headlineAggregateFor(
  metric: string,
  rules: readonly HeadlineRule[] = DEFAULT_HEADLINE_RULES,
): HeadlineAggregate {
  return rules.find((rule) => rule.pattern.test(metric))?.aggregate ?? 'avg';
}

/** Summary of one metric of one device. */
export interface SeriesSummary {
  device: string;
  metric: string;
  /** Unit of the last reading that had one. */
  unit: string | undefined;
  count: number;
  min: number;
  max: number;
  mean: number;
  sum: number;
  /** Value at the latest time (the later row wins a tie). */
  last: number;
  headlineAggregate: HeadlineAggregate;
  headline: number;
}

interface RunningSeries {
  unit: string | undefined;
  count: number;
  min: number;
  max: number;
  mean: number;
  sum: number;
  last: number;
  lastTime: number;
}

/**
 * Streaming per-(device, metric) statistics: memory grows with the number of series, never with
 * the number of rows. The mean is Welford's running mean, which stays accurate where a running
 * sum would lose the small values of a long file to rounding.
 */
export class ReadingSummaryAccumulator {
  private readonly devices = new Map<string, Map<string, RunningSeries>>();

  constructor(private readonly rules: readonly HeadlineRule[] = DEFAULT_HEADLINE_RULES) {}

  addPoint(point: ParsedPoint): void {
    for (const reading of point.readings) this.add(point.device, reading);
  }

  add(device: string, reading: RawReading): void {
    let metrics = this.devices.get(device);
    if (metrics === undefined) {
      metrics = new Map();
      this.devices.set(device, metrics);
    }
    const { value, time } = reading;
    const series = metrics.get(reading.metric);
    if (series === undefined) {
      metrics.set(reading.metric, {
        unit: reading.unit,
        count: 1,
        min: value,
        max: value,
        mean: value,
        sum: value,
        last: value,
        lastTime: time,
      });
      return;
    }
    series.count++;
    if (value < series.min) series.min = value;
    if (value > series.max) series.max = value;
    series.mean += (value - series.mean) / series.count;
    series.sum += value;
    if (time >= series.lastTime) {
      series.last = value;
      series.lastTime = time;
    }
    if (reading.unit !== undefined) series.unit = reading.unit;
  }

  /** Summaries sorted by device, then metric. */
  summaries(): SeriesSummary[] {
    const result: SeriesSummary[] = [];
    for (const device of [...this.devices.keys()].sort()) {
      const metrics = this.devices.get(device) as Map<string, RunningSeries>;
      for (const metric of [...metrics.keys()].sort()) {
        const series = metrics.get(metric) as RunningSeries;
        const headlineAggregate = headlineAggregateFor(metric, this.rules);
        result.push({
          device,
          metric,
          unit: series.unit,
          count: series.count,
          min: series.min,
          max: series.max,
          mean: series.mean,
          sum: series.sum,
          last: series.last,
          headlineAggregate,
          headline: headlineOf(series, headlineAggregate),
        });
      }
    }
    return result;
  }
}

function headlineOf(series: RunningSeries, aggregate: HeadlineAggregate): number {
  switch (aggregate) {
    case 'avg':
      return series.mean;
    case 'max':
      return series.max;
    case 'sum':
      return series.sum;
    case 'last':
      return series.last;
  }
}
