import { mean, type BucketStats } from './statistics';

/** The single value a dashboard shows for a bucket; every statistic is kept regardless. */
export type HeadlineAggregate = 'avg' | 'max' | 'min' | 'sum' | 'last' | 'count';
export const HEADLINE_AGGREGATES: ReadonlyArray<HeadlineAggregate> = [
  'avg',
  'max',
  'min',
  'sum',
  'last',
  'count',
];

/** What a metric measures; decides its default headline and whether it integrates to energy. */
export type MetricKind = 'gauge' | 'temperature' | 'utilisation' | 'power' | 'counter' | 'anomaly';

export const DEFAULT_HEADLINE_BY_KIND: Record<MetricKind, HeadlineAggregate> = {
  gauge: 'avg',
  // the peak is what matters for a temperature (overheating), the mean for a load
  temperature: 'max',
  utilisation: 'avg',
  power: 'avg',
  counter: 'last',
  anomaly: 'count',
};

/** A per-tenant (or `*` for every tenant) rule for one metric name. */
export interface AggregationRule {
  tenant: string;
  metric: string;
  kind: MetricKind;
  headline?: HeadlineAggregate;
}

export interface ResolvedRule {
  kind: MetricKind;
  headline: HeadlineAggregate;
  /** Which rule decided: `tenant`, `global` (tenant `*`) or `default` (guessed from the name/unit). */
  source: 'tenant' | 'global' | 'default';
}

/** Kind guessed from the metric name and unit when no rule names the metric. */
export function defaultKindOf(metric: string, unit?: string | null): MetricKind {
  const name = metric.toLowerCase();
  if (unit === 'W' || unit === 'kW' || /(^|[._-])power($|[._-])|watts?$/.test(name)) return 'power';
  if (unit === '°C' || unit === 'K' || name.includes('temp')) return 'temperature';
  if (name.includes('cpu') || unit === '%') return 'utilisation';
  if (name.includes('anomal')) return 'anomaly';
  if (name.endsWith('_total') || name.endsWith('.count')) return 'counter';
  return 'gauge';
}

/** Tenant rule, else global rule, else the default for the guessed kind. */
export function resolveRule(
  rules: ReadonlyArray<AggregationRule>,
  tenant: string,
  metric: string,
  unit?: string | null,
): ResolvedRule {
  const own = rules.find((rule) => rule.tenant === tenant && rule.metric === metric);
  const global = rules.find((rule) => rule.tenant === '*' && rule.metric === metric);
  const rule = own ?? global;
  if (rule) {
    return {
      kind: rule.kind,
      headline: rule.headline ?? DEFAULT_HEADLINE_BY_KIND[rule.kind],
      source: own ? 'tenant' : 'global',
    };
  }
  const kind = defaultKindOf(metric, unit);
  return { kind, headline: DEFAULT_HEADLINE_BY_KIND[kind], source: 'default' };
}

export function headlineValue(stats: BucketStats, aggregate: HeadlineAggregate): number {
  switch (aggregate) {
    case 'avg':
      return mean(stats);
    case 'max':
      return stats.max;
    case 'min':
      return stats.min;
    case 'sum':
      return stats.sum;
    case 'last':
      return stats.last;
    case 'count':
      return stats.count;
  }
}
